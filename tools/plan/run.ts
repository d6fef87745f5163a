// Runs the Pulumi program (index.ts) for one stack under the SDK's mock runtime, in this process, and returns every
// resource it registered. No CLI, no cloud, no cluster.
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config";
import type { EngineRecord } from "../policy-host";
import type { ImportCheck } from "./azure-import";
import { EngineRecordingMonitor, installMonitor, type RecordedResource } from "./monitor";
import { readStackConfig, type StackConfig } from "./stack-config";
import { DOCUMENTATION_ADDRESS, PLAN_SUBSCRIPTION, planMocks, SimulatedValues, type WorldOptions } from "./world";

export interface ProgramRun {
  stack: StackConfig;
  resources: RecordedResource[];
  /** Stack outputs, serialized (secrets still marked). */
  outputs: Record<string, unknown>;
  preview: boolean;
  /** What the engine keeps beyond the contract (providers, options, outputs): the policy run's input. */
  engine: EngineRecord;
  /** Every adopted Azure resource, and whether `pulumi up` would change it right after importing it. */
  imports: ImportCheck[];
  /** The values the simulated world made up for this run. */
  simulated: SimulatedValues;
}

/** The program stopped: `clean` errors (config, RunError) are shown without a stack trace. */
export class ProgramError extends Error {
  constructor(
    message: string,
    readonly clean: boolean,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** Project root holding Pulumi.yaml, Pulumi.<stack>.yaml and the program. */
  root: string;
  stack: string;
  /** Run as `pulumi preview` (computed outputs unknown) rather than as `pulumi up` against the simulated world. */
  preview: boolean;
  /** The program module; default <root>/index.ts. */
  program?: string;
  /** Read the stack's config from this file instead of <root>/Pulumi.<stack>.yaml. */
  stackFile?: string;
  /** Live GET bodies by id (`--azure`): imports are checked against them instead of the simulated answers. */
  azureResources?: Record<string, Record<string, unknown>>;
  /** Kubernetes version an existing cluster reports (default: world.ts SIMULATED_KUBERNETES_VERSION). */
  clusterKubernetesVersion?: string;
}

/**
 * The simulated world takes what it can from the stack config: the region, the adopted IP's subscription, address and
 * settings. What the config does not say, it makes up, and records in `simulated`.
 */
function worldFrom(
  stack: StackConfig,
  preview: boolean,
  simulated: SimulatedValues,
  clusterKubernetesVersion?: string,
): WorldOptions {
  const json = (key: string): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(stack.config[`${stack.project}:${key}`] ?? "{}");
      return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const cluster = json("cluster");
  const staticIp = json("staticIp");
  const create = (cluster.create ?? {}) as Record<string, unknown>;
  const adoptId = typeof staticIp.adoptResourceId === "string" ? staticIp.adoptResourceId : "";
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined);
  const tags =
    typeof staticIp.tags === "object" && staticIp.tags !== null
      ? Object.fromEntries(Object.entries(staticIp.tags).filter((e): e is [string, string] => typeof e[1] === "string"))
      : undefined;
  return {
    location: stack.config["azure-native:location"] ?? (typeof create.location === "string" ? create.location : "westeurope"),
    subscriptionId:
      /^\/subscriptions\/([0-9a-fA-F-]{36})\//.exec(adoptId)?.[1] ?? simulated.add(PLAN_SUBSCRIPTION, "subscription id"),
    publicIpAddress:
      typeof staticIp.expectedAddress === "string" ? staticIp.expectedAddress : simulated.add(DOCUMENTATION_ADDRESS, "address"),
    preview,
    adoptedIp: {
      ...(strings(staticIp.zones) ? { zones: strings(staticIp.zones) } : {}),
      ...(tags ? { tags } : {}),
      ...(typeof staticIp.idleTimeoutInMinutes === "number" ? { idleTimeoutInMinutes: staticIp.idleTimeoutInMinutes } : {}),
    },
    ...(clusterKubernetesVersion ? { clusterKubernetesVersion } : {}),
  };
}

/** The SDK drains its RPC queue this way at the end of a real run; it is internal, hence the narrow cast. */
function waitForRPCs(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  return runtime.waitForRPCs ? runtime.waitForRPCs() : Promise.resolve();
}

/** Runs the program once. One run per process: the Pulumi runtime is global state. */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const stack = readStackConfig(opts.root, opts.stack, opts.stackFile);
  pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
  const simulated = new SimulatedValues();
  const mocks = planMocks(
    {
      ...worldFrom(stack, opts.preview, simulated, opts.clusterKubernetesVersion),
      ...(opts.azureResources ? { azureResources: opts.azureResources } : {}),
    },
    simulated,
  );
  const monitor = await installMonitor(
    new EngineRecordingMonitor(mocks, stack.project, stack.stack),
    stack.project,
    stack.stack,
    opts.preview,
  );

  // Errors thrown inside apply callbacks surface as unhandled rejections; a plan with one is a failed plan.
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const program = opts.program ?? path.join(opts.root, "index.ts");
    await pulumi.runtime.runInPulumiStack(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(program) as Record<string, unknown> | (() => Promise<Record<string, unknown>>);
      return typeof exported === "function" ? exported() : { ...exported };
    });
    await waitForRPCs();
  } catch (err) {
    throw asProgramError(err, opts.stackFile);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw asProgramError(failures[0], opts.stackFile);
  if (pulumi.log.hasErrors()) throw new ProgramError("the program logged errors (see above)", true);
  return {
    stack,
    resources: monitor.resources,
    outputs: monitor.stackOutputs,
    preview: opts.preview,
    engine: monitor.record(),
    imports: monitor.imports,
    simulated,
  };
}

/** `stackFile`: the --config FILE as given, which a config error names instead of Pulumi.<stack>.yaml. */
function asProgramError(err: unknown, stackFile?: string): ProgramError {
  if (err instanceof ProgramError) return err;
  if (err instanceof ConfigError) return new ProgramError((stackFile ? err.inFile(stackFile) : err).message, true);
  if (pulumi.RunError.isInstance(err)) return new ProgramError(err.message, true);
  if (pulumi.ResourceError.isInstance(err)) return new ProgramError(err.message, true);
  const e = err instanceof Error ? err : new Error(String(err));
  return new ProgramError(e.stack ?? e.message, false);
}
