// One bench measurement, in its own process (the Pulumi runtime is global state, and peak memory is per process).
//   worker program <stackFile> <stack>      plans the program for that stack file
//   worker floor <resources> <payloadBytes>  registers that many bare resources under the same mock runtime
// Both run once untimed (modules loaded, JIT warm) and time the second run, so the ratio compares the program's own
// work with the runtime's cost of registering the same number of resources. Prints one JSON line.
import path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installRecordingMonitor } from "../plan/monitor";
import { runProgram } from "../plan/run";
import { PLAN_SUBSCRIPTION, planMocks } from "../plan/world";

export interface Measurement {
  resources: number;
  /** Wall time of the planning run, module loading excluded. */
  ms: number;
  /** Peak resident memory of the process, MiB. */
  peakMb: number;
  /** Average size of a resource's serialized inputs (the floor uses it for its payload). */
  payloadBytes: number;
}

const ROOT = path.resolve(__dirname, "..", "..");

/** Times `work`; reports the process's peak resident memory (both sides load the same modules and run twice). */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakMb: number }> {
  global.gc?.();
  const started = process.hrtime.bigint();
  const result = await work();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { result, ms, peakMb: process.resourceUsage().maxRSS / 1024 };
}

async function program(stackFile: string, stack: string): Promise<Measurement> {
  const plan = () => runProgram({ root: ROOT, stack, stackFile, preview: false });
  // A first, untimed run loads every module the program touches (@pulumi/kubernetes loads its resource modules
  // lazily) and warms the JIT; the second run is the one measured, like the floor's.
  await plan();
  const { result, ms, peakMb } = await measure(plan);
  const bytes = result.resources.reduce((n, r) => n + JSON.stringify(r.inputs).length, 0);
  return { resources: result.resources.length, ms, peakMb, payloadBytes: Math.round(bytes / result.resources.length) };
}

/**
 * The floor: the same number of resources registered bare — Kubernetes ConfigMaps, so each goes through the same typed
 * SDK resource machinery as the program's objects — with inputs of the program's average size, and nothing else.
 */
async function floor(count: number, payloadBytes: number): Promise<Measurement> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load the program's modules, as the program run does
  require(path.join(ROOT, "index.ts"));
  const mocks = planMocks({
    location: "koreacentral",
    subscriptionId: PLAN_SUBSCRIPTION,
    publicIpAddress: "198.51.100.10",
    preview: false,
  });
  const payload = "x".repeat(Math.max(0, payloadBytes - 20));
  const register = async () => {
    const monitor = await installRecordingMonitor(mocks, "aks-mesh", "floor", false);
    await pulumi.runtime.runInPulumiStack(() => {
      for (let i = 0; i < count - 1; i++) {
        new k8s.core.v1.ConfigMap(`r${i}`, { metadata: { name: `r${i}`, namespace: "bench" }, data: { payload } });
      }
      return Promise.resolve({});
    });
    const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    await runtime.waitForRPCs?.();
    return monitor;
  };
  await register(); // warm-up, as for the program
  const { result: monitor, ms, peakMb } = await measure(register);
  return { resources: monitor.resources.length, ms, peakMb, payloadBytes };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  let m: Measurement;
  if (mode === "program" && a && b) m = await program(a, b);
  else if (mode === "floor" && a && b) m = await floor(Number(a), Number(b));
  else throw new Error("usage: worker program <stackFile> <stack> | worker floor <resources> <payloadBytes>");
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
