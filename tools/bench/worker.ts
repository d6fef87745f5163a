// One bench measurement, in its own process (the Pulumi runtime is global state, and peak memory is per process).
//   worker program <stackFile> <stack>   plans the program for that stack file
//   worker floor <stackFile> <stack>     registers the same resources bare under the same mock runtime
// Both run once untimed (modules loaded, JIT warm) and time the second run, so the ratio compares the program's own
// work (config, components, Outputs, applies, invokes) with the runtime's cost of registering exactly the resources it
// produces. Prints one JSON line.
import path from "node:path";
import { type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { installRecordingMonitor } from "../plan/monitor";
import { runProgram } from "../plan/run";
import { plainValue } from "../plan/contract";
import { PLAN_SUBSCRIPTION, planMocks } from "../plan/world";
import type TimedProgram from "./timed-program";

export interface Measurement {
  resources: number;
  /** Wall time of the planning run, module loading excluded. */
  ms: number;
  /** Peak resident memory of the process, MiB. */
  peakMb: number;
  /** Of `ms`, the time V8's garbage collector paused the program (scavenges and mark-compacts). */
  gcMs: number;
  /**
   * CPU time of the process over the same span, all threads (the collector's helpers included): unlike the wall time,
   * it barely grows when other work on the machine takes the cores.
   */
  cpuMs: number;
  /**
   * Program only: of `ms`, the program's function declaring every resource (config, components), and the time after
   * it until every registration is answered (the SDK's promises, the monitor's recording).
   */
  phases?: { declareMs: number; registerMs: number };
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Times `work`, and the garbage collector's pauses within it; reports the process's peak resident memory (both sides
 * load the same modules and run twice).
 */
async function measure<T>(
  work: () => Promise<T>,
): Promise<{ result: T; ms: number; peakMb: number; gcMs: number; cpuMs: number }> {
  global.gc?.();
  let gcMs = 0;
  const add = (entries: PerformanceEntry[]) => {
    for (const e of entries) gcMs += e.duration;
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await work();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const { user, system } = process.cpuUsage(cpu);
  // Node hands each collection's entry over in an immediate, and a mock run may never leave the microtask queue: let
  // the immediates run, then take what the callback has not received yet.
  await new Promise((resolve) => setImmediate(resolve));
  add(observer.takeRecords());
  observer.disconnect();
  return { result, ms, peakMb: process.resourceUsage().maxRSS / 1024, gcMs, cpuMs: (user + system) / 1000 };
}

async function program(stackFile: string, stack: string): Promise<Measurement> {
  // Loaded by runProgram inside the Pulumi stack, as index.ts is; the same module instance holds the timings.
  const timed = require.resolve("./timed-program");
  let answeredAt = 0n;
  const plan = async () => {
    const run = await runProgram({ root: ROOT, stack, stackFile, preview: false, program: timed });
    answeredAt = process.hrtime.bigint();
    return run;
  };
  // A first, untimed run loads every module the program touches (@pulumi/kubernetes loads its resource modules
  // lazily) and warms the JIT; the second run is the one measured, like the floor's.
  await plan();
  const { result, ms, peakMb, gcMs, cpuMs } = await measure(plan);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the instance runProgram loaded (cached)
  const { declareMs, returnedAt } = (require(timed) as typeof TimedProgram).timings;
  const registerMs = Number(answeredAt - returnedAt) / 1e6;
  return { resources: result.resources.length, ms, peakMb, gcMs, cpuMs, phases: { declareMs, registerMs } };
}

type ResourceClass = new (
  name: string,
  args: Record<string, unknown>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.Resource;

/** A bare component: registered like the program's, with nothing inside. */
class BareComponent extends pulumi.ComponentResource {}

/** The SDK class behind a type token, so the floor pays the same per-class cost (outputs, aliases) as the program. */
function sdkClass(type: string): ResourceClass | "component" {
  if (type.startsWith("aks-mesh:")) return "component";
  if (type === "pulumi:providers:kubernetes") return k8s.Provider;
  if (type === "random:index/randomPassword:RandomPassword") return random.RandomPassword as unknown as ResourceClass;
  const azure = /^azure-native:([a-z]+):(\w+)$/.exec(type);
  if (azure) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the submodule named by the token
    const module = require(`@pulumi/azure-native/${azure[1]}`) as Record<string, ResourceClass>;
    return module[azure[2] as string] as ResourceClass;
  }
  const kube = /^kubernetes:([^/]+)\/(\w+):(\w+)$/.exec(type);
  if (kube) {
    const [, group = "", version = "", kind = ""] = kube;
    const area = group === "core" ? "core" : group.split(".")[0] === "rbac" ? "rbac" : group.split(".")[0];
    const modules = k8s as unknown as Record<string, Record<string, Record<string, ResourceClass>> | undefined>;
    const found = modules[area ?? ""]?.[version]?.[kind];
    if (found && !group.endsWith("istio.io")) return found;
    return k8s.apiextensions.CustomResource as unknown as ResourceClass;
  }
  throw new Error(`bench: no SDK class for ${type}`);
}

/**
 * The floor: the very resources the program registers (same SDK classes, names and inputs), registered bare from a
 * flat list: no config, no components' logic, no Outputs or applies between them, no invokes.
 */
async function floor(stackFile: string, stack: string): Promise<Measurement> {
  const planned = await runProgram({ root: ROOT, stack, stackFile, preview: false }); // same modules loaded
  const resources = planned.resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => ({ type: r.type, name: r.name, inputs: plainValue(r.inputs) as Record<string, unknown> }));
  const mocks = planMocks({
    location: "koreacentral",
    subscriptionId: PLAN_SUBSCRIPTION,
    publicIpAddress: "198.51.100.10",
    preview: false,
  });
  const register = async () => {
    const monitor = await installRecordingMonitor(mocks, "aks-mesh", "floor", false);
    await pulumi.runtime.runInPulumiStack(() => {
      for (const r of resources) {
        const cls = sdkClass(r.type);
        if (cls === "component") new BareComponent(r.type, r.name);
        else new cls(r.name, r.inputs);
      }
      return Promise.resolve({});
    });
    const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    await runtime.waitForRPCs?.();
    return monitor;
  };
  await register(); // warm-up, as for the program
  const { result: monitor, ms, peakMb, gcMs, cpuMs } = await measure(register);
  return { resources: monitor.resources.length, ms, peakMb, gcMs, cpuMs };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  let m: Measurement;
  if (mode === "program" && a && b) m = await program(a, b);
  else if (mode === "floor" && a && b) m = await floor(a, b);
  else throw new Error("usage: worker program|floor <stackFile> <stack>");
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
