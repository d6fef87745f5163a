// Changes that must be stopped, tried through the real plan CLI on a copy of prod: each is refused with exit 2 and a
// message naming the file as given, the key and what to do instead; a failed run leaves no plan file behind.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { planCli, ROOT, tempDir } from "../harness";

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

/** Pulumi.prod.yaml with one value changed, written to a temporary folder; returns the path as given to --config. */
function prodWith(keyPath: string[], value: unknown): { dir: string; file: string } {
  const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
  doc.setIn(keyPath, value);
  const dir = tempDir("guardrails-");
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, doc.toString());
  return { dir, file: path.relative(ROOT, file) };
}

test("refuses istio.version changed under the running revision, naming the file as given; removes the stale plan", async () => {
  const { dir, file } = prodWith(["config", "aks-mesh:istio", "version"], "1.24.6");
  const out = path.join(dir, "plan");
  fs.mkdirSync(out);
  for (const f of ["resources.json", "manifests.yaml", "policy.json"]) fs.writeFileSync(path.join(out, f), "stale");
  const result = await planCli(["prod", "--config", file, "--out", out]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`Invalid configuration in ${file} (stack "prod"):`);
  expect(result.stderr).toMatch(
    /aks-mesh:istio\.version: "1\.24\.6" is not the version of the running revision "1-23-4" \(aks-mesh:istio\.revision\)/,
  );
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(fs.readdirSync(out)).toEqual([]);
});

test("refuses a production stack's policy config that sets a floor policy to advisory (exit 2)", async () => {
  const dir = tempDir("guardrails-levels-");
  const levels = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "production.json"), "utf8")) as Record<
    string,
    unknown
  >;
  levels["ingress-ip-protected-static-standard"] = "advisory";
  const file = path.join(dir, "lenient.json");
  fs.writeFileSync(file, JSON.stringify(levels));
  const result = await planCli(["prod", "--policy-pack-config", file, "--out", path.join(dir, "plan")]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    /lenient\.json: ingress-ip-protected-static-standard: "advisory" is below the production floor: stack "prod" is a production stack/,
  );
  expect(fs.existsSync(path.join(dir, "plan", "resources.json"))).toBe(false);
});

test("fails a development stack run with production's levels file through policy-levels-match-environment", async () => {
  const dir = tempDir("guardrails-mismatch-");
  const result = await planCli([
    "dev",
    "--policy-pack-config",
    path.join(ROOT, "policy", "production.json"),
    "--out",
    path.join(dir, "plan"),
  ]);
  expect(result.code).toBe(1);
  const violations = JSON.parse(fs.readFileSync(path.join(dir, "plan", "policy.json"), "utf8")) as {
    policy: string;
    message: string;
  }[];
  expect(violations.filter((v) => v.policy === "policy-levels-match-environment")).toEqual([
    expect.objectContaining({
      message:
        "This is a development stack (config aks-mesh:environment) but the pack runs the production policy levels: " +
        "run pulumi preview --policy-pack policy --policy-pack-config policy/development.json.",
    }),
  ]);
});
