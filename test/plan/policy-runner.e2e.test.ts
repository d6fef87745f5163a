// The offline policy run end to end through `npm run plan`, driven by the fixture pack (test/fixtures/policy-pack),
// whose policies report what the pack received: the stack's policy config reaches the pack (Configure), unknowns
// reach it as unknowns, secrets never come back out, AnalyzeStack sees every resource, and a mandatory violation
// fails the plan.
import fs from "node:fs";
import path from "node:path";
import type { PolicyViolation } from "../../tools/policy-host";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

const FIXTURE_PACK = path.join("test", "fixtures", "policy-pack");

interface Run {
  cli: CliResult;
  violations: PolicyViolation[];
  urns: string[];
  /** Everything the run printed or wrote. */
  text: string;
}

async function plan(stack: string, policyConfig: unknown): Promise<Run> {
  const dir = tempDir(`policy-runner-${stack}-`);
  const config = path.join(dir, "policy-config.json");
  fs.writeFileSync(config, JSON.stringify(policyConfig));
  const out = path.join(dir, "plan");
  const cli = await planCli([stack, "--out", out, "--policy-pack", FIXTURE_PACK, "--policy-pack-config", config]);
  const read = (f: string) => (fs.existsSync(path.join(out, f)) ? fs.readFileSync(path.join(out, f), "utf8") : "");
  const policyText = read("policy.json");
  return {
    cli,
    violations: policyText ? (JSON.parse(policyText) as PolicyViolation[]) : [],
    urns: (JSON.parse(read("resources.json") || "[]") as { urn: string }[]).map((r) => r.urn),
    text: cli.stdout + cli.stderr + policyText + read("resources.json"),
  };
}

const K8S_PROVIDER = "pulumi:providers:kubernetes";
const PUBLIC_IP = "azure-native:network:PublicIPAddress";
const runs: Record<string, Run> = {};

beforeAll(async () => {
  // One plan at a time: each is CPU-bound, so running them side by side only adds contention.
  runs.prod = await plan("prod", {
    "fixture-forbidden-types": { types: [PUBLIC_IP] },
    "fixture-probe": { type: K8S_PROVIDER, path: ["props", "kubeconfig"] },
    "fixture-stack-census": { report: true },
  });
  runs.dev = await plan("dev", { "fixture-probe": { type: K8S_PROVIDER, path: ["props", "kubeconfig"] } });
});

const run = (stack: string) => runs[stack] as Run;
const of = (stack: string, policy: string) => run(stack).violations.filter((v) => v.policy === policy);

describe("a mandatory violation", () => {
  test("fails the plan with exit code 1 and says why", () => {
    expect(run("prod").cli.code).toBe(1);
    expect(run("prod").cli.stderr).toMatch(/1 mandatory policy violation .*`pulumi preview` would fail/);
  });

  test("is written to policy.json with its policy, level and the resource's URN, from the stack's policy config", () => {
    const ip = run("prod").urns.find((u) => u.split("::")[2]?.split("$").pop() === PUBLIC_IP);
    expect(ip).toBeDefined();
    expect(of("prod", "fixture-forbidden-types")).toEqual([
      {
        policy: "fixture-forbidden-types",
        enforcementLevel: "mandatory",
        urn: ip,
        message: expect.stringContaining(`${PUBLIC_IP} is forbidden by the policy config`),
      },
    ]);
  });

  test("is printed under its policy in the summary, with the resource", () => {
    expect(run("prod").cli.stdout).toMatch(
      /\[mandatory\] fixture-forbidden-types \(1\)\n {4}azure-native:network:PublicIPAddress \S+\n/,
    );
  });
});

test("writes policy.json as an array of {policy, enforcementLevel, urn, message}, sorted by policy", () => {
  const { violations } = run("prod");
  for (const v of violations) expect(Object.keys(v)).toEqual(["policy", "enforcementLevel", "urn", "message"]);
  const policies = violations.map((v) => v.policy);
  expect(policies).toEqual([...policies].sort());
});

test("passes a plan whose only violations are advisory", () => {
  expect(run("dev").cli.code).toBe(0);
  expect(run("dev").violations.every((v) => v.enforcementLevel === "advisory")).toBe(true);
});

describe("unknowns and secrets", () => {
  test("a value preview cannot know (dev's new cluster's kubeconfig) reaches the pack as unknown", () => {
    expect(of("dev", "fixture-probe")).toEqual([
      expect.objectContaining({
        enforcementLevel: "advisory",
        message: expect.stringMatching(/can't run policy 'fixture-probe' .* during preview: .*kubeconfig/),
      }),
    ]);
  });

  test("a known secret (prod's existing cluster's kubeconfig) reaches the pack, but never policy.json or the output", () => {
    expect(of("prod", "fixture-probe")).toEqual([expect.objectContaining({ message: expect.stringMatching(/cluster-k8s: \[secret\]$/) })]);
    // The kubeconfig the simulated world hands out carries the kubelogin exec plugin: none of it may surface.
    expect(run("prod").text).not.toMatch(/kubelogin|clusterUser_|current-context/);
  });
});

test("AnalyzeStack receives every planned resource plus the default providers the engine adds", () => {
  const census = of("prod", "fixture-stack-census");
  expect(census).toHaveLength(1);
  const seen = JSON.parse((census[0] as PolicyViolation).message.split("\n").pop() as string) as {
    resources: number;
    urns: string[];
    withParent: number;
  };
  const defaults = seen.urns.filter((u) => /::pulumi:providers:[^:]+::default(_\d+)*$/.test(u));
  expect(defaults.length).toBeGreaterThan(0);
  expect(seen.urns.filter((u) => !defaults.includes(u)).sort()).toEqual([...run("prod").urns].sort());
  // Everything but the root stack and the default providers has a parent.
  expect(seen.withParent).toBe(seen.resources - 1 - defaults.length);
});

describe("bad input", () => {
  test("a policy config naming no policy of the pack exits 2, naming the file and the closest policy", async () => {
    const r = await plan("dev", { "fixture-prob": { type: "x" } });
    expect(r.cli.code).toBe(2);
    expect(r.cli.stderr).toMatch(/policy-config\.json: "fixture-prob" is not a policy of pack plan-fixture \(did you mean fixture-probe\?\)/);
    expect(r.cli.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  test.each([
    [["--policy-pack"], /--policy-pack needs a value/],
    [["dev", "--bogus"], /unknown option --bogus/],
    // The file is named as given on the command line (here an absolute path); a string matches as a substring.
    [["dev", "--config", path.join(ROOT, "no-such-stack.yaml")], `no stack file ${path.join(ROOT, "no-such-stack.yaml")}\n`],
  ])("%j exits 2 with a clear message", async (args, message) => {
    const r = await planCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
