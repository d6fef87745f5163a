// The engine's side of the Analyzer protocol: turns the resources the preview pass recorded into the requests the
// Pulumi engine sends a policy pack during `pulumi preview --policy-pack`. Sources (pulumi/pulumi):
//   pkg/resource/deploy/step_generator.go   Analyze gets every registered resource (components, providers and the
//                                           root stack included) with its inputs; AnalyzeStack gets every resource
//                                           with its outputs, parent, dependencies and property dependencies.
//   pkg/resource/plugin/analyzer_plugin.go  MarshalOptions{KeepUnknowns, KeepSecrets, SkipInternalKeys}: unknowns as
//                                           the unknown sentinel, secrets as secret signature objects holding their
//                                           value, resource references as their ID (URN when there is none), top-level
//                                           "__" keys dropped.
//   pkg/resource/deploy/default_providers.go a custom resource without an explicit provider runs on its package's
//                                           default provider "default_<major>_<minor>_<patch>", whose inputs are the
//                                           package's stack config plus "version".
import * as pulumi from "@pulumi/pulumi";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import type { DefaultProviderUse, EngineDetails, EngineOptions, EngineRecord } from "./engine-record";
import type { PassResource, PolicyStack } from "./pass";

const SIG = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;
/** The unknown sentinel (UnknownStringValue): what the engine sends for a value `pulumi preview` does not know yet. */
export const UNKNOWN_SENTINEL = pulumi.runtime.unknownValue;
/** The SDK's output-value signature (only sent when the monitor supports output values; handled for completeness). */
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const PROVIDER_PREFIX = "pulumi:providers:";
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** A provider as an analyzer sees it (AnalyzerProviderResource). */
export interface ProviderView {
  urn: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
}

/** One resource as the engine presents it to a policy pack. */
export interface AnalyzerView {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Inputs as the engine marshals them for Analyze. */
  properties: Record<string, unknown>;
  /** Outputs as the engine marshals them for AnalyzeStack. */
  outputs: Record<string, unknown>;
  protect: boolean;
  options: EngineOptions;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  provider?: ProviderView;
}

/** The SDK's serialized value turned into what the engine marshals for an analyzer. */
export function engineValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(engineValue);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG]) {
    case SECRET_SIG:
      return { [SIG]: SECRET_SIG, value: engineValue(obj.value) };
    case pulumi.runtime.specialResourceSig:
      // KeepResources is off: a reference becomes its ID when it has one (unknown in preview), else its URN.
      return typeof obj.id === "string" && obj.id !== "" ? obj.id : obj.urn;
    case OUTPUT_SIG: {
      const inner = "value" in obj ? engineValue(obj.value) : UNKNOWN_SENTINEL;
      return obj.secret === true ? { [SIG]: SECRET_SIG, value: inner } : inner;
    }
    case pulumi.runtime.specialAssetSig:
    case pulumi.runtime.specialArchiveSig:
      return obj;
    default:
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, engineValue(v)]));
  }
}

/** A property map as the engine marshals it for an analyzer: values converted, top-level internal keys skipped. */
export function engineProperties(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(props)
      .filter(([k]) => !k.startsWith("__"))
      .map(([k, v]) => [k, engineValue(v)]),
  );
}

/** Every plain text held in a secret, so nothing the pack echoes can print it (short texts would blank out words). */
export function secretTexts(values: unknown[], minLength = 4): string[] {
  const found = new Set<string>();
  const leaves = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.length >= minLength && v !== UNKNOWN_SENTINEL) found.add(v);
    } else if (Array.isArray(v)) v.forEach(leaves);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(leaves);
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      const obj = v as Record<string, unknown>;
      if (obj[SIG] === SECRET_SIG) leaves(obj.value);
      else Object.values(obj).forEach(walk);
    }
  };
  values.forEach(walk);
  // Longest first, so a secret that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** The default provider's name for a package version, as the engine derives it (ProviderRequest.DefaultName). */
export function defaultProviderName(version: string): string {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(version);
  if (!m) return "default";
  const pre = m[4] ? m[4].split(".").map((p) => `_${p}`) : [];
  const build = m[5] ? m[5].split(".").map((b) => `_${b}`) : [];
  return `default_${m[1]}_${m[2]}_${m[3]}${pre.join("")}${build.join("")}`;
}

const NO_OPTIONS: EngineOptions = {
  ignoreChanges: [],
  additionalSecretOutputs: [],
  aliases: [],
  customTimeouts: { create: 0, update: 0, delete: 0 },
};

function defaultProviderView(use: DefaultProviderUse, stack: PolicyStack): AnalyzerView {
  const inputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stack.config)) {
    if (!key.startsWith(`${use.pkg}:`)) continue;
    const name = key.slice(use.pkg.length + 1);
    inputs[name] = stack.secretKeys.includes(key) ? { [SIG]: SECRET_SIG, value } : value;
  }
  if (use.version) inputs.version = use.version;
  return {
    urn: `urn:pulumi:${stack.stack}::${stack.project}::${PROVIDER_PREFIX}${use.pkg}::${defaultProviderName(use.version)}`,
    type: `${PROVIDER_PREFIX}${use.pkg}`,
    name: defaultProviderName(use.version),
    custom: true,
    properties: inputs,
    outputs: inputs,
    protect: false,
    options: NO_OPTIONS,
    parent: "",
    dependencies: [],
    propertyDependencies: {},
  };
}

/** A provider reference is "<urn>::<id>"; URNs contain "::" themselves, the ID never does. */
function providerUrn(reference: string): string {
  const at = reference.lastIndexOf("::");
  return at < 0 ? reference : reference.slice(0, at);
}

/**
 * Every resource of the run in the order the engine registers them, default providers included, each with what
 * Analyze and AnalyzeStack would carry.
 */
export function engineResources(stack: PolicyStack, resources: PassResource[], record: EngineRecord): AnalyzerView[] {
  const views: AnalyzerView[] = [];
  const defaults = new Map<string, AnalyzerView>();
  const uses = [...record.defaultProviders].sort((a, b) => a.before - b.before);
  const addDefaultsBefore = (index: number) => {
    while (uses.length > 0 && (uses[0] as DefaultProviderUse).before <= index) {
      const use = uses.shift() as DefaultProviderUse;
      const view = defaultProviderView(use, stack);
      defaults.set(`${use.pkg}@${use.version}`, view);
      views.push(view);
    }
  };
  resources.forEach((r, index) => {
    addDefaultsBefore(index);
    const details: EngineDetails | undefined = record.details[r.urn];
    views.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      properties: engineProperties(r.inputs),
      outputs: engineProperties(details?.outputs ?? (r.custom ? r.inputs : {})),
      protect: r.protect,
      options: details?.options ?? NO_OPTIONS,
      parent: r.parent ?? "",
      dependencies: r.dependsOn,
      propertyDependencies: details?.propertyDependencies ?? {},
    });
  });
  addDefaultsBefore(Number.POSITIVE_INFINITY);

  const byUrn = new Map(views.map((v) => [v.urn, v]));
  for (const view of views) {
    if (!view.custom || view.type.startsWith(PROVIDER_PREFIX) || view.type === ROOT_STACK_TYPE) continue;
    const details = record.details[view.urn];
    const reference = details?.provider ?? "";
    const provider = reference
      ? byUrn.get(providerUrn(reference))
      : defaults.get(`${view.type.split(":")[0] ?? ""}@${details?.version ?? ""}`);
    if (provider)
      view.provider = { urn: provider.urn, type: provider.type, name: provider.name, properties: provider.properties };
  }
  return views;
}

function struct(props: Record<string, unknown>): structproto.Struct {
  return structproto.Struct.fromJavaScript(props as Record<string, structproto.JavaScriptValue>);
}

function optionsProto(view: AnalyzerView): analyzerproto.AnalyzerResourceOptions {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setProtect(view.protect);
  o.setIgnorechangesList(view.options.ignoreChanges);
  o.setDeletebeforereplace(view.options.deleteBeforeReplace ?? false);
  o.setDeletebeforereplacedefined(view.options.deleteBeforeReplace !== undefined);
  o.setAdditionalsecretoutputsList(view.options.additionalSecretOutputs);
  o.setAliasesList(view.options.aliases);
  const t = new analyzerproto.AnalyzerResourceOptions.CustomTimeouts();
  t.setCreate(view.options.customTimeouts.create);
  t.setUpdate(view.options.customTimeouts.update);
  t.setDelete(view.options.customTimeouts.delete);
  o.setCustomtimeouts(t);
  o.setParent(view.parent);
  return o;
}

function providerProto(provider: ProviderView): analyzerproto.AnalyzerProviderResource {
  const p = new analyzerproto.AnalyzerProviderResource();
  p.setUrn(provider.urn);
  p.setType(provider.type);
  p.setName(provider.name);
  p.setProperties(struct(provider.properties));
  return p;
}

/** The request for Analyze (and Remediate): one resource with its inputs. */
export function analyzeRequest(view: AnalyzerView, properties = view.properties): analyzerproto.AnalyzeRequest {
  const req = new analyzerproto.AnalyzeRequest();
  req.setUrn(view.urn);
  req.setType(view.type);
  req.setName(view.name);
  req.setProperties(struct(properties));
  req.setOptions(optionsProto(view));
  if (view.provider) req.setProvider(providerProto(view.provider));
  return req;
}

/** The request for AnalyzeStack: every resource with its outputs and its place in the graph. */
export function analyzeStackRequest(views: AnalyzerView[]): analyzerproto.AnalyzeStackRequest {
  const req = new analyzerproto.AnalyzeStackRequest();
  req.setResourcesList(
    views.map((view) => {
      const r = new analyzerproto.AnalyzerResource();
      r.setUrn(view.urn);
      r.setType(view.type);
      r.setName(view.name);
      r.setProperties(struct(view.outputs));
      r.setOptions(optionsProto(view));
      if (view.provider) r.setProvider(providerProto(view.provider));
      r.setParent(view.parent);
      r.setDependenciesList(view.dependencies);
      const deps = r.getPropertydependenciesMap();
      for (const [key, urns] of Object.entries(view.propertyDependencies)) {
        if (urns.length === 0) continue;
        const d = new analyzerproto.AnalyzerPropertyDependencies();
        d.setUrnsList(urns);
        deps.set(key, d);
      }
      return r;
    }),
  );
  return req;
}
