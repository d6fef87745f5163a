// The recording monitor, plus what the Pulumi engine keeps of each registration beyond the plan contract and hands to
// a policy pack: the provider reference, the package version that selects a default provider, property dependencies,
// the resource options the Analyzer protocol carries, and the outputs (the simulated provider's answer, or what a
// component registered). The policy run builds its Analyze/AnalyzeStack requests from this.
import type * as structproto from "google-protobuf/google/protobuf/struct_pb";
import type * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { RecordingMonitor, type RegisterRequest } from "./monitor";

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

/** The further parts of the SDK's RegisterResourceRequest read here. */
interface EngineRegisterRequest extends RegisterRequest {
  getVersion(): string;
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getAdditionalsecretoutputsList(): string[];
  getCustomtimeouts(): CustomTimeouts | undefined;
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
}
interface EngineInvokeRequest {
  getTok(): string;
  getArgs(): structproto.Struct | undefined;
  getProvider(): string;
  getVersion(): string;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): structproto.Struct | undefined;
}
type Callback<T> = (err: unknown, response?: T) => void;

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

export class EngineRecordingMonitor extends RecordingMonitor {
  private readonly details = new Map<string, EngineDetails>();
  private readonly registeredOutputs = new Map<string, Record<string, unknown>>();
  private readonly defaultProviders: DefaultProviderUse[] = [];

  /** The engine registers a package's default provider the first time a resource or an invoke needs it. */
  private noteDefaultProvider(type: string, version: string): void {
    const pkg = type.split(":")[0] ?? "";
    if (!pkg || pkg === "pulumi") return;
    if (this.defaultProviders.some((d) => d.pkg === pkg && d.version === version)) return;
    this.defaultProviders.push({ pkg, version, before: this.resources.length });
  }

  override async registerResource(
    req: EngineRegisterRequest,
    callback: Callback<resproto.RegisterResourceResponse>,
  ): Promise<void> {
    const type = req.getType();
    if (req.getCustom() && !type.startsWith(PROVIDER_PREFIX) && !req.getProvider()) {
      this.noteDefaultProvider(type, req.getVersion());
    }
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = [...new Set(deps.getUrnsList())];
    });
    const timeouts = req.getCustomtimeouts();
    // Aliases are resolved by the recording monitor when it registers the resource.
    const options: Omit<EngineOptions, "aliases"> = {
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      customTimeouts: {
        create: durationSeconds(timeouts?.getCreate() ?? ""),
        update: durationSeconds(timeouts?.getUpdate() ?? ""),
        delete: durationSeconds(timeouts?.getDelete() ?? ""),
      },
      ...(req.getDeletebeforereplacedefined() ? { deleteBeforeReplace: req.getDeletebeforereplace() } : {}),
    };
    const provider = req.getProvider();
    const version = req.getVersion();
    await super.registerResource(req, (err, response) => {
      if (!err && response) {
        this.details.set(response.getUrn(), {
          provider,
          version,
          propertyDependencies,
          options: { ...options, aliases: this.aliasesOf(response.getUrn()) },
          outputs: response.getObject()?.toJavaScript() ?? {},
        });
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: OutputsRequest, callback: Callback<object>): void {
    this.registeredOutputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    super.registerResourceOutputs(req, callback);
  }

  override async invoke(req: EngineInvokeRequest, callback: Callback<resproto.ResourceInvokeResponse>): Promise<void> {
    if (!req.getProvider()) this.noteDefaultProvider(req.getTok(), req.getVersion());
    await super.invoke(req, callback);
  }

  /** The engine's record of the run so far. Components' outputs are the last ones they registered. */
  record(): EngineRecord {
    const details: Record<string, EngineDetails> = {};
    for (const r of this.resources) {
      const d = this.details.get(r.urn);
      if (!d) continue;
      details[r.urn] = r.custom ? d : { ...d, outputs: this.registeredOutputs.get(r.urn) ?? {} };
    }
    return { details, defaultProviders: [...this.defaultProviders] };
  }
}
