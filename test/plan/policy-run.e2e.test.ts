// The aks-mesh policy pack run by `npm run plan` on the committed stacks, and on a committed stack with one thing
// flipped that the pack must catch: the plan of the flipped stack fails with the right policy in policy.json.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { readStackConfig } from "../../tools/plan/stack-config";
import type { PolicyViolation } from "../../tools/policy-host";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

interface Run {
  cli: CliResult;
  violations: PolicyViolation[];
  text: string;
}

async function plan(stack: string, stackFile?: string): Promise<Run> {
  const out = tempDir(`policy-run-${stack}-`);
  const cli = await planCli([stack, "--out", out, ...(stackFile ? ["--config", stackFile] : [])]);
  const file = path.join(out, "policy.json");
  const policyText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  return {
    cli,
    violations: policyText ? (JSON.parse(policyText) as PolicyViolation[]) : [],
    text: cli.stdout + cli.stderr + policyText,
  };
}

/** Pulumi.<stack>.yaml with one value changed, written elsewhere: the committed file stays as it is. */
function flipped(stack: string, keyPath: string[], value: unknown): string {
  const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  expect(doc.hasIn(keyPath)).toBe(true);
  doc.setIn(keyPath, value);
  const file = path.join(tempDir(`policy-run-flip-${stack}-`), `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, doc.toString());
  return file;
}

const runs: Record<string, Run> = {};

beforeAll(async () => {
  const memory = ["config", "aks-mesh:istio", "proxy", "resources", "limits", "memory"];
  // One plan at a time: each is CPU-bound (three processes), so running them side by side only adds contention.
  runs.dev = await plan("dev");
  runs.prod = await plan("prod");
  runs.prodBigProxy = await plan("prod", flipped("prod", memory, "2Gi"));
});

const run = (name: string) => runs[name] as Run;

describe.each(["dev", "prod"])("the committed %s stack", (stack) => {
  test("passes the policy run: exit 0 and no mandatory violation in policy.json", () => {
    expect(run(stack).cli.stderr).not.toMatch(/mandatory policy violation|policy pack .* failed/);
    expect(run(stack).cli.code).toBe(0);
    expect(run(stack).violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  const environment = stack === "dev" ? "development" : "production";
  test(`runs the aks-mesh pack with the levels of its environment, policy/${environment}.json, and says so`, () => {
    expect(run(stack).cli.stdout).toMatch(new RegExp(`^Policy pack aks-mesh \\S+ \\(policy, config: policy/${environment}\\.json\\): [1-9]\\d* policies`, "m"));
    expect(run(stack).cli.stdout).toContain(`Policy levels: ${environment} (aks-mesh:environment), from policy/${environment}.json`);
  });

  test("never prints or writes the stack's secret values", () => {
    const config = readStackConfig(ROOT, stack);
    const secrets = config.secretKeys.map((k) => config.config[k]).filter((v): v is string => !!v && v.length >= 4);
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(run(stack).text).not.toContain(s);
  });
});

describe("prod with the sidecar memory limit raised to 2Gi", () => {
  test("fails the plan", () => {
    expect(run("prodBigProxy").cli.code).toBe(1);
    expect(run("prodBigProxy").cli.stderr).toMatch(/mandatory policy violations? \(listed above\)/);
  });

  test("names proxy-memory-limit-within-max, mandatory, on the istiod release, with the config key to change", () => {
    const found = run("prodBigProxy").violations.filter(
      (v) => v.policy === "proxy-memory-limit-within-max" && v.enforcementLevel === "mandatory",
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.urn).toMatch(/IstioControlPlane\$aks-mesh:istio:IstiodRevision\$kubernetes:helm\.sh\/v3:Release::istio-istiod-1-23-4$/);
    expect(found[0]?.message).toMatch(/2Gi/);
    expect(found[0]?.message).toContain("aks-mesh:istio.proxy.resources");
  });

  test("changes nothing else: every other violation is one the committed stack has too", () => {
    const key = (v: PolicyViolation) => `${v.policy} ${v.urn}`;
    const committed = new Set(run("prod").violations.map(key));
    const added = run("prodBigProxy")
      .violations.filter((v) => !committed.has(key(v)))
      .map((v) => v.policy);
    expect([...new Set(added)]).toEqual(["proxy-memory-limit-within-max"]);
  });
});
