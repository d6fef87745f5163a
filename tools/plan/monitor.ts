// A resource monitor for the SDK's mock runtime that records every RegisterResourceRequest exactly as the engine
// would receive it (parent, dependencies, protect, import id, aliases, serialized inputs with secret markers) and
// answers with engine-style URNs: children of the root stack carry no "pulumi:pulumi:Stack$" prefix, deeper children
// carry their parent's full qualified type, as in a real `pulumi preview`. Aliases are resolved to old URNs as the
// engine resolves them (aliases.ts).
import * as pulumi from "@pulumi/pulumi";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { AZURE_IMPORT_SPECS, checkImport, type ImportCheck } from "./azure-import";
import { AliasResolver, type AliasSpec, newUrn, type UrnScope, urnParts } from "./aliases";
import {
  type EngineInvokeRequest,
  type EngineOutputsRequest,
  type EngineRecord,
  EngineRecorder,
  type EngineRegisterRequest,
} from "../policy-host";

/** One registered resource as the plan contract describes it (inputs still serialized). */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  protect: boolean;
  importId: string | null;
  custom: boolean;
  /** The aliases as the program sent them (URNs or specs). */
  aliasSpecs: AliasSpec[];
  /** Every old URN the resource may answer to, resolved as the engine resolves aliases (see aliases.ts). */
  aliases: string[];
  /** Serialized inputs: secrets as signature objects, unknowns as the unknown sentinel. */
  inputs: Record<string, unknown>;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

type Callback<T> = (err: unknown, response?: T) => void;

/** Minimal protobuf request shapes the SDK hands to a monitor. */
interface AliasMessage {
  getUrn(): string;
  getSpec():
    | {
        getName(): string;
        getType(): string;
        getStack(): string;
        getProject(): string;
        getParenturn(): string;
        getNoparent(): boolean;
      }
    | undefined;
}
export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): structproto.Struct | undefined;
  getProvider(): string;
  getImportid(): string;
  getDependenciesList(): string[];
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  /** Aliases as URNs or specs (sent when the monitor supports alias specs, as this one does). */
  getAliasesList(): AliasMessage[];
  /** Aliases as URNs only (what an SDK sends to a monitor without alias specs). */
  getAliasurnsList(): string[];
}

function aliasSpecs(req: RegisterRequest): AliasSpec[] {
  const specs: AliasSpec[] = req.getAliasurnsList().map((urn) => ({ urn }));
  for (const alias of req.getAliasesList()) {
    const spec = alias.getSpec();
    if (!spec) {
      specs.push({ urn: alias.getUrn() });
      continue;
    }
    specs.push({
      name: spec.getName(),
      type: spec.getType(),
      stack: spec.getStack(),
      project: spec.getProject(),
      parentUrn: spec.getParenturn(),
      noParent: spec.getNoparent(),
    });
  }
  return specs;
}
interface InvokeRequest {
  getTok(): string;
  getArgs(): structproto.Struct | undefined;
  getProvider(): string;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): structproto.Struct | undefined;
}

/** Mocks that may also answer the provider's Read of an imported resource (tools/plan/world.ts). */
type MonitorMocks = pulumi.runtime.Mocks & {
  read?(type: string, id: string): Record<string, unknown> | undefined;
};

export class RecordingMonitor {
  readonly resources: RecordedResource[] = [];
  /** Every import the simulated Azure could answer, with what `pulumi up` would do after it (azure-import.ts). */
  readonly imports: ImportCheck[] = [];
  /** Serialized stack outputs, captured when the root stack registers them. */
  stackOutputs: Record<string, unknown> = {};
  private readonly states = new Map<string, { urn: string; id: string | null; state: unknown }>();
  private readonly scope: UrnScope;
  private readonly aliasResolver: AliasResolver;

  constructor(
    private readonly mocks: MonitorMocks,
    project: string,
    stack: string,
  ) {
    this.scope = { project, stack };
    this.aliasResolver = new AliasResolver(this.scope);
  }

  /** Every old URN a registered resource may answer to (see RecordedResource.aliases). */
  aliasesOf(urn: string): string[] {
    return this.aliasResolver.aliasesOf(urn);
  }

  async registerResource(req: RegisterRequest, callback: Callback<resproto.RegisterResourceResponse>): Promise<void> {
    try {
      const serializedInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      const parent = req.getParent();
      const urn = newUrn(this.scope, parent ? urnParts(parent).qualifiedType : "", req.getType(), req.getName());
      const specs = aliasSpecs(req);
      // The SDK registers a child only once its parent's URN is known, so the parent's aliases are resolved already.
      const aliases = this.aliasResolver.add({
        urn,
        type: req.getType(),
        name: req.getName(),
        parent: parent || null,
        aliases: specs,
      });
      this.resources.push({
        urn,
        type: req.getType(),
        name: req.getName(),
        parent: parent || null,
        dependsOn: [...new Set(req.getDependenciesList())],
        protect: req.getProtect() === true,
        importId: req.getImportid() || null,
        custom: req.getCustom(),
        aliasSpecs: specs,
        aliases,
        inputs: serializedInputs,
      });
      const inputs = pulumi.runtime.deserializeProperties(req.getObject() ?? new structproto.Struct()) as Record<
        string,
        unknown
      >;
      const importId = req.getImportid();
      const body = importId && AZURE_IMPORT_SPECS[req.getType()] ? this.mocks.read?.(req.getType(), importId) : undefined;
      if (importId && body) {
        const ignoreChanges = req.getIgnorechangesList();
        this.imports.push(checkImport({ urn, type: req.getType(), id: importId, body, inputs, ignoreChanges }));
      }
      const result = await this.mocks.newResource({
        type: req.getType(),
        name: req.getName(),
        inputs,
        provider: req.getProvider(),
        custom: req.getCustom(),
        id: importId,
      });
      const state = await pulumi.runtime.serializeProperties("", result.state);
      this.states.set(urn, { urn, id: result.id ?? null, state });
      const response = new resproto.RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(result.id ?? "");
      response.setObject(structproto.Struct.fromJavaScript(state as Record<string, structproto.JavaScriptValue>));
      callback(null, response);
    } catch (err) {
      callback(err);
    }
  }

  registerResourceOutputs(req: OutputsRequest, callback: Callback<object>): void {
    const urn = req.getUrn();
    if (urn.split("::")[2] === ROOT_STACK_TYPE) {
      this.stackOutputs = (req.getOutputs()?.toJavaScript() ?? {});
    }
    callback(null, {});
  }

  async invoke(req: InvokeRequest, callback: Callback<resproto.ResourceInvokeResponse>): Promise<void> {
    try {
      const result = await this.mocks.call({
        token: req.getTok(),
        inputs: pulumi.runtime.deserializeProperties(req.getArgs() ?? new structproto.Struct()) as Record<string, unknown>,
        provider: req.getProvider(),
      });
      const response = new resproto.ResourceInvokeResponse();
      const serialized = await pulumi.runtime.serializeProperties("", result);
      response.setReturn(structproto.Struct.fromJavaScript(serialized as Record<string, structproto.JavaScriptValue>));
      callback(null, response);
    } catch (err) {
      callback(err);
    }
  }

  readResource(_req: unknown, callback: Callback<never>): void {
    callback(new Error("the offline plan does not read existing resources (Resource.get); use an invoke instead"));
  }

  supportsFeature(req: { getId(): string }, callback: Callback<{ getHassupport(): boolean }>): void {
    // Like the SDK's own mock monitor: no output values in inputs, everything else on.
    const supported = req.getId() !== "outputValues";
    callback(null, { getHassupport: () => supported });
  }

  getDeploymentInfo(_req: unknown, callback: Callback<resproto.DeploymentInfo>): void {
    const F = resproto.ResourceMonitorFeature;
    const info = new resproto.DeploymentInfo();
    info.setSupportedfeaturesList([
      F.RESOURCE_MONITOR_FEATURE_SECRETS,
      F.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
      F.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
      F.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
      F.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
      F.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
      F.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
    ]);
    callback(null, info);
  }

  registerPackage(_req: unknown, callback: Callback<resproto.RegisterPackageResponse>): void {
    const response = new resproto.RegisterPackageResponse();
    response.setRef("plan-package");
    callback(null, response);
  }
}

/**
 * The recording monitor that also keeps what the Pulumi engine hands a policy pack (the policy host's EngineRecorder):
 * the plan's passes run under it, and the preview pass's record is the policy run's input.
 */
export class EngineRecordingMonitor extends RecordingMonitor {
  private readonly recorder = new EngineRecorder();

  override async registerResource(
    req: RegisterRequest & EngineRegisterRequest,
    callback: Callback<resproto.RegisterResourceResponse>,
  ): Promise<void> {
    const pending = this.recorder.registering(req, this.resources.length);
    await super.registerResource(req, (err, response) => {
      if (!err && response) {
        const urn = response.getUrn();
        this.recorder.registered(urn, pending, this.aliasesOf(urn), response.getObject()?.toJavaScript() ?? {});
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: OutputsRequest & EngineOutputsRequest, callback: Callback<object>): void {
    this.recorder.outputs(req);
    super.registerResourceOutputs(req, callback);
  }

  override async invoke(
    req: InvokeRequest & EngineInvokeRequest,
    callback: Callback<resproto.ResourceInvokeResponse>,
  ): Promise<void> {
    this.recorder.invoking(req, this.resources.length);
    await super.invoke(req, callback);
  }

  /** The engine's record of the run so far. */
  record(): EngineRecord {
    return this.recorder.record(this.resources);
  }
}

/**
 * Installs a monitor as the runtime's monitor and asks it for its features, as a real run does when the root stack
 * registers: without that query the runtime would assume no secret support and send secrets unmarked.
 */
export async function installMonitor<M extends RecordingMonitor>(
  monitor: M,
  project: string,
  stack: string,
  preview: boolean,
): Promise<M> {
  pulumi.runtime.setMockOptions(monitor, project, stack, preview);
  // Internal in the SDK's typings, hence the narrow cast; it is what the runtime calls before the first registration.
  const runtime = pulumi.runtime as unknown as { awaitFeatureSupport?: () => Promise<void> };
  await runtime.awaitFeatureSupport?.();
  return monitor;
}

/** Installs a plain RecordingMonitor (tests, bench). */
export function installRecordingMonitor(
  mocks: pulumi.runtime.Mocks,
  project: string,
  stack: string,
  preview: boolean,
): Promise<RecordingMonitor> {
  return installMonitor(new RecordingMonitor(mocks, project, stack), project, stack, preview);
}
