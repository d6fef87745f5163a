// Bad input through the real plan CLI: a clear message naming the key and the stack, exit status 2, no stack trace,
// and nothing written.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { planCli, ROOT, tempDir } from "../harness";

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

function brokenProd(edit: (config: Record<string, unknown>) => void): string {
  const prod = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  edit(prod.config);
  const file = path.join(tempDir("broken-"), "Pulumi.prod.yaml");
  fs.writeFileSync(file, YAML.stringify(prod));
  return file;
}

test("rejects a malformed stack config with every problem named by key, exit 2, no stack trace, nothing written", async () => {
  const file = brokenProd((c) => {
    c["aks-mesh:istio"] = { version: "1.23", proxy: { resources: { limits: { memory: "lots" } } } };
    c["aks-mesh:ingresGateway"] = {};
  });
  const out = path.join(tempDir("out-"), "plan");
  const result = await planCli(["prod", "--config", file, "--out", out]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`Invalid configuration in ${file} (stack "prod")`);
  expect(result.stderr).toContain("aks-mesh:istio.version:");
  expect(result.stderr).toContain("aks-mesh:istio.proxy.resources.limits.memory:");
  expect(result.stderr).toContain("aks-mesh:ingresGateway: unknown key; did you mean aks-mesh:ingressGateway?");
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(fs.existsSync(path.join(out, "resources.json"))).toBe(false);
});

test("names the stacks it knows when asked for one without a stack file", async () => {
  // A name no stack file has, and the stacks expected from the files there now (whatever stacks others add).
  const missing = `no-such-stack-${process.pid}`;
  const stacks = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined);
  expect(stacks.length).toBeGreaterThan(0);
  const result = await planCli([missing]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`no stack file Pulumi.${missing}.yaml (stacks here: ${stacks.join(", ")})`);
  expect(result.stderr).not.toMatch(STACK_TRACE);
});

test("explains its usage on an unknown option", async () => {
  const result = await planCli(["prod", "--outt", "x"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("unknown option --outt");
  expect(result.stderr).toMatch(/usage: npm run plan -- <stack>/);
});
