// The policy runner when the pack misbehaves: it fails to start, prints garbage, never answers, crashes or hangs in
// the middle of the analysis. Each time the run fails with an error naming what failed, within its timeout, and no
// pack process survives. The packs are fixtures; the preview pass is a small hand-built one.
// Only the tests about a deadline use a short one, and only against a pack that deterministically never answers; every
// other start and call gets the product's own deadlines, so a loaded machine cannot turn a slow start into a failure.
import fs from "node:fs";
import path from "node:path";
import { PolicyRunError } from "../../tools/policy-host/host";
import { analyzeStack, DEFAULT_TIMEOUTS, startPolicyPack, type PolicyTimeouts } from "../../tools/policy-host/run";
import type { PolicyStack, PreviewPass } from "../../tools/policy-host/pass";

import { ROOT, tempDir } from "../harness";

const FIXTURES = path.join(ROOT, "test", "fixtures");
const FIXTURE_PACK = path.join(FIXTURES, "policy-pack");
const broken = (kind: string) => path.join(FIXTURES, "broken-packs", kind);
/** For the pack that never prints its port: the deadline is the event under test, so it can be short. */
const SHORT_START: PolicyTimeouts = { ...DEFAULT_TIMEOUTS, startMs: 3_000 };

const stack: PolicyStack = {
  project: "aks-mesh",
  stack: "test",
  config: { "aks-mesh:istio": "{}" },
  secretKeys: [],
};
const ROOT_URN = "urn:pulumi:test::aks-mesh::pulumi:pulumi:Stack::aks-mesh-test";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const preview: PreviewPass = {
  stack,
  resources: [
    {
      urn: ROOT_URN,
      type: "pulumi:pulumi:Stack",
      name: "aks-mesh-test",
      parent: null,
      dependsOn: [],
      protect: false,
      custom: false,
      inputs: {},
    },
    {
      urn: `urn:pulumi:test::aks-mesh::${NAMESPACE}::shop`,
      type: NAMESPACE,
      name: "shop",
      parent: ROOT_URN,
      dependsOn: [],
      protect: false,
      custom: true,
      inputs: { metadata: { name: "shop" } },
    },
  ],
  engine: { details: {}, defaultProviders: [{ pkg: "kubernetes", version: "4.34.2", before: 1 }] },
};

/** Processes whose working directory is `dir`: a pack process left behind would be one. */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.realpathSync(`/proc/${entry}/cwd`) === fs.realpathSync(dir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function configFile(config: unknown): string {
  const file = path.join(tempDir("policy-failures-"), "config.json");
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

async function startFailure(packDir: string, timeouts: PolicyTimeouts = DEFAULT_TIMEOUTS): Promise<string> {
  const started = startPolicyPack({ root: ROOT, stack, packDir, timeouts });
  try {
    await started.ready;
  } catch (err) {
    await started.stop();
    if (!(err instanceof PolicyRunError)) throw err;
    return err.message;
  }
  await started.stop();
  throw new Error(`the pack at ${packDir} started`);
}

describe("a pack that cannot start", () => {
  test.each([
    [
      "prints garbage instead of its port",
      "garbage",
      DEFAULT_TIMEOUTS,
      /printed "Welcome to the policy pack!" where its port number belongs/,
    ],
    ["never prints its port", "silent", SHORT_START, /did not print its port within 3 s/],
    [
      "exits before serving",
      "early-exit",
      DEFAULT_TIMEOUTS,
      /exited with code 3 before serving[^]*cannot load policies \(on purpose\)/,
    ],
  ])("fails the run with a clear error when it %s, and leaves no process", async (_what, kind, timeouts, message) => {
    const dir = broken(kind);
    await expect(startFailure(dir, timeouts)).resolves.toMatch(message);
    expect(processesIn(dir)).toEqual([]);
  });

  test("names the missing PulumiPolicy.yaml", async () => {
    const dir = tempDir("no-pack-");
    await expect(startFailure(dir)).resolves.toMatch(/no policy pack at .*PulumiPolicy\.yaml is missing/);
  });

  test("says the dependencies are missing when @pulumi/pulumi cannot be found from the pack", async () => {
    const dir = tempDir("no-deps-pack-");
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    await expect(startFailure(dir)).resolves.toMatch(/dependencies are not installed; try running npm install in/);
  });
});

describe("a pack that breaks during the analysis", () => {
  test("fails the run naming the crash and the pack's last output, and leaves no process", async () => {
    const started = startPolicyPack({
      root: ROOT,
      stack,
      packDir: FIXTURE_PACK,
      configFile: configFile({ "fixture-misbehave": { crashOn: NAMESPACE } }),
      timeouts: DEFAULT_TIMEOUTS,
    });
    try {
      const configured = await started.ready;
      const run = analyzeStack(configured, preview);
      await expect(run).rejects.toThrow(PolicyRunError);
      await expect(run).rejects.toThrow(/policy pack process exited with code 7 during Analyze[^]*crashing on purpose/);
      await started.stop();
      expect(alive(configured.process.pid)).toBe(false);
    } finally {
      await started.stop();
    }
  });

  test("gives up on an RPC the pack never answers, naming the call, and ends the pack", async () => {
    const started = startPolicyPack({
      root: ROOT,
      stack,
      packDir: FIXTURE_PACK,
      configFile: configFile({ "fixture-misbehave": { hangOn: NAMESPACE } }),
      timeouts: DEFAULT_TIMEOUTS,
    });
    try {
      const configured = await started.ready;
      // Started and configured under the product's deadlines; the analysis gets a short one, since the namespace's
      // Analyze never returns (the other calls, answered at once, have ample time).
      configured.process.setRpcTimeout(5_000);
      await expect(analyzeStack(configured, preview)).rejects.toThrow(
        new RegExp(`did not answer Analyze of urn:pulumi:test::aks-mesh::${NAMESPACE}::shop within 5 s`),
      );
      await started.stop();
      expect(alive(configured.process.pid)).toBe(false);
    } finally {
      await started.stop();
    }
  });
});
