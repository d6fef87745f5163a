// The pack, served as the Pulumi CLI serves it, answers GetAnalyzerInfo with every policy the pack module hands to
// `new PolicyPack(...)` and each policy's config schema. The expected side is read from the module itself (its
// PolicyPack constructor intercepted in a child process), so nothing here is a hard-coded list.
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { AnalyzerInfo } from "../../tools/policy-host/config";
import { FakeEngine, PolicyPackProcess, readPackProject } from "../../tools/policy-host/host";
import { DEFAULT_TIMEOUTS } from "../../tools/policy-host/run";
import { ROOT } from "../harness";

interface ModulePolicy {
  name: string;
  description: string;
  enforcementLevel: string;
  kind: "resource" | "stack";
  configSchema: { properties: Record<string, unknown>; required: string[] } | null;
}
interface ModulePack {
  name: string;
  policies: ModulePolicy[];
}

/** Loads the pack module with PolicyPack replaced by a recorder, and returns what it was constructed with. */
function packModule(dir: string): ModulePack {
  const script = `
    require("ts-node").register({ transpileOnly: true });
    const policy = require(require.resolve("@pulumi/policy/policy", { paths: [process.cwd()] }));
    let recorded;
    policy.PolicyPack = class {
      constructor(name, args) {
        const packLevel = args.enforcementLevel || "advisory";
        recorded = {
          name,
          policies: (args.policies || []).map((p) => ({
            name: p.name,
            description: p.description,
            enforcementLevel: p.enforcementLevel || packLevel,
            kind: typeof p.validateStack === "function" ? "stack" : "resource",
            configSchema: p.configSchema
              ? { properties: p.configSchema.properties, required: p.configSchema.required || [] }
              : null,
          })),
        };
      }
    };
    require(process.cwd());
    process.stdout.write(JSON.stringify(recorded));
  `;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
  return JSON.parse(out) as ModulePack;
}

async function servedInfo(dir: string): Promise<AnalyzerInfo> {
  const engine = await FakeEngine.start();
  const pack = await PolicyPackProcess.start({
    pack: readPackProject(dir),
    engineAddress: engine.address,
    env: {},
    // The product's deadlines: this test is about the answer, not about how fast a loaded machine starts a pack.
    startTimeoutMs: DEFAULT_TIMEOUTS.startMs,
    rpcTimeoutMs: DEFAULT_TIMEOUTS.rpcMs,
  });
  try {
    return await pack.getAnalyzerInfo();
  } finally {
    await pack.stop();
    engine.stop();
  }
}

describe.each([
  ["the aks-mesh pack", path.join(ROOT, "policy")],
  ["the runner's fixture pack", path.join(ROOT, "test", "fixtures", "policy-pack")],
])("%s, served", (_name, dir) => {
  let module: ModulePack;
  let info: AnalyzerInfo;
  beforeAll(async () => {
    module = packModule(dir);
    info = await servedInfo(dir);
  });

  test("has policies at all (so the comparisons below compare something)", () => {
    expect(module.policies.length).toBeGreaterThan(0);
  });

  test("answers with the pack's name and every policy, in the module's order", () => {
    expect(info.name).toBe(module.name);
    expect(info.policies.map((p) => p.name)).toEqual(module.policies.map((p) => p.name));
  });

  test("answers with each policy's description, enforcement level and kind", () => {
    expect(info.policies.map((p) => [p.name, p.description, p.enforcementLevel, p.kind])).toEqual(
      module.policies.map((p) => [p.name, p.description, p.enforcementLevel, p.kind]),
    );
  });

  test("answers with each policy's config schema", () => {
    expect(info.supportsConfig).toBe(true);
    expect(info.policies.map((p) => [p.name, p.configSchema ?? null])).toEqual(
      module.policies.map((p) => [p.name, p.configSchema]),
    );
  });
});
