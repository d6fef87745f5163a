// What the Pulumi engine keeps of each registration beyond the plan contract and hands to a policy pack: the provider
// reference, the package version that selects a default provider, property dependencies, the resource options the
// Analyzer protocol carries, and the outputs (the simulated provider's answer, or what a component registered). The
// policy run builds its Analyze/AnalyzeStack requests from this. A resource monitor feeds an EngineRecorder from its
// registerResource, registerResourceOutputs and invoke (tools/plan/monitor.ts EngineRecordingMonitor does).
import type * as structproto from "google-protobuf/google/protobuf/struct_pb";

/** Options of a registration as the engine passes them to an analyzer (AnalyzerResourceOptions). */
export interface EngineOptions {
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  /**
   * Old URNs the resource may answer to, resolved from URNs and specs as the engine does. The engine passes the one
   * it matched in the state; without a state the plan passes every candidate (see aliases.ts).
   */
  aliases: string[];
  /** Seconds, as the engine stores them (0 when unset). */
  customTimeouts: { create: number; update: number; delete: number };
  /** Undefined when the program did not set it (deleteBeforeReplaceDefined = false). */
  deleteBeforeReplace?: boolean;
}

/** What the engine knows of one registered resource besides the plan contract's fields. */
export interface EngineDetails {
  /** Provider reference "<provider urn>::<provider id>", or "" for a custom resource on its package's default provider. */
  provider: string;
  /** Package version the SDK asked for; selects the default provider ("default_3_28_0"). */
  version: string;
  propertyDependencies: Record<string, string[]>;
  options: EngineOptions;
  /** Serialized outputs: the simulated provider's state for custom resources, registered outputs for components. */
  outputs: Record<string, unknown>;
}

/** A package whose default provider the engine registers at this point of the run (first resource or invoke using it). */
export interface DefaultProviderUse {
  pkg: string;
  version: string;
  /** Index in the recorded resources before which the engine would register the provider. */
  before: number;
}

/** Everything the engine keeps of a run, serializable (it crosses the process boundary of the preview pass). */
export interface EngineRecord {
  details: Record<string, EngineDetails>;
  defaultProviders: DefaultProviderUse[];
}

interface CustomTimeouts {
  getCreate(): string;
  getUpdate(): string;
  getDelete(): string;
}

/** The parts of the SDK's RegisterResourceRequest the engine record reads. */
export interface EngineRegisterRequest {
  getType(): string;
  getCustom(): boolean;
  getProvider(): string;
  getVersion(): string;
  getIgnorechangesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getAdditionalsecretoutputsList(): string[];
  getCustomtimeouts(): CustomTimeouts | undefined;
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
}
/** The parts of the SDK's ResourceInvokeRequest the engine record reads. */
export interface EngineInvokeRequest {
  getTok(): string;
  getProvider(): string;
  getVersion(): string;
}
/** The parts of the SDK's RegisterResourceOutputsRequest the engine record reads. */
export interface EngineOutputsRequest {
  getUrn(): string;
  getOutputs(): structproto.Struct | undefined;
}

const PROVIDER_PREFIX = "pulumi:providers:";

/** Go duration text ("10m", "1h30m", "45s", "1.5h") to seconds, as the engine parses customTimeouts. */
export function durationSeconds(text: string): number {
  if (!text) return 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] as string] ?? 0);
    consumed += m[0].length;
  }
  if (consumed !== text.length) throw new Error(`invalid customTimeouts duration "${text}"`);
  return total;
}

/** What a registration request says, before the monitor has answered it with a URN and outputs. */
export interface PendingDetails {
  provider: string;
  version: string;
  propertyDependencies: Record<string, string[]>;
  options: Omit<EngineOptions, "aliases">;
}

/**
 * The engine's bookkeeping of a run. The monitor calls `registering` before it answers a registration (`registered`
 * is the count of resources it has recorded so far), `registered` with its answer, `outputs` for each
 * registerResourceOutputs and `invoking` for each invoke.
 */
export class EngineRecorder {
  private readonly details = new Map<string, EngineDetails>();
  private readonly registeredOutputs = new Map<string, Record<string, unknown>>();
  private readonly defaultProviders: DefaultProviderUse[] = [];

  /** The engine registers a package's default provider the first time a resource or an invoke needs it. */
  private noteDefaultProvider(type: string, version: string, before: number): void {
    const pkg = type.split(":")[0] ?? "";
    if (!pkg || pkg === "pulumi") return;
    if (this.defaultProviders.some((d) => d.pkg === pkg && d.version === version)) return;
    this.defaultProviders.push({ pkg, version, before });
  }

  registering(req: EngineRegisterRequest, registered: number): PendingDetails {
    const type = req.getType();
    if (req.getCustom() && !type.startsWith(PROVIDER_PREFIX) && !req.getProvider()) {
      this.noteDefaultProvider(type, req.getVersion(), registered);
    }
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = [...new Set(deps.getUrnsList())];
    });
    const timeouts = req.getCustomtimeouts();
    return {
      provider: req.getProvider(),
      version: req.getVersion(),
      propertyDependencies,
      options: {
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        customTimeouts: {
          create: durationSeconds(timeouts?.getCreate() ?? ""),
          update: durationSeconds(timeouts?.getUpdate() ?? ""),
          delete: durationSeconds(timeouts?.getDelete() ?? ""),
        },
        ...(req.getDeletebeforereplacedefined() ? { deleteBeforeReplace: req.getDeletebeforereplace() } : {}),
      },
    };
  }

  /** `aliases`: the old URNs the monitor resolved for the resource; `outputs`: its answer's serialized state. */
  registered(urn: string, pending: PendingDetails, aliases: string[], outputs: Record<string, unknown>): void {
    this.details.set(urn, { ...pending, options: { ...pending.options, aliases }, outputs });
  }

  outputs(req: EngineOutputsRequest): void {
    this.registeredOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
  }

  invoking(req: EngineInvokeRequest, registered: number): void {
    if (!req.getProvider()) this.noteDefaultProvider(req.getTok(), req.getVersion(), registered);
  }

  /**
   * The engine's record of the run so far, for the resources the monitor recorded (in order). Components' outputs are
   * the last ones they registered.
   */
  record(resources: readonly { urn: string; custom: boolean }[]): EngineRecord {
    const details: Record<string, EngineDetails> = {};
    for (const r of resources) {
      const d = this.details.get(r.urn);
      if (!d) continue;
      details[r.urn] = r.custom ? d : { ...d, outputs: this.registeredOutputs.get(r.urn) ?? {} };
    }
    return { details, defaultProviders: [...this.defaultProviders] };
  }
}
