// Shared helpers of the pack: plain, unknown-aware views of what the engine sends, Kubernetes/Istio object lookup,
// label selectors, host names, quantities and durations. The pack is its own package: nothing here imports the program.
//
// How preview values arrive: @pulumi/policy wraps `props` in a proxy that throws UnknownValueError when a policy reads
// a value the engine marked unknown (one of the sentinel strings below). An uncaught throw turns the whole policy into
// an advisory "can't run during preview" note for that resource. Every policy here instead reads through `plain()`,
// which unwraps the proxy and replaces each sentinel with UNKNOWN, and then skips exactly the checks it cannot decide.
import type { PolicyResource, ReportViolation } from "@pulumi/policy";

/** A value the engine does not know yet (a computed output during `pulumi preview`). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export type Json = null | boolean | number | string | Unknown | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The sentinels the engine uses for unknown booleans, numbers, strings, arrays, assets, archives and objects
 * (@pulumi/policy proxy.js; the Go engine's plugin.Unknown*Value); a test checks they still match @pulumi/policy.
 */
export const UNKNOWN_SENTINELS: readonly string[] = [
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
];
const SENTINELS = new Set(UNKNOWN_SENTINELS);

// @pulumi/policy's proxy answers this key with the object it wraps, without the unknown check (proxy.js).
const PROXY_TARGET = "__getSpecialProxyTarget";

export const isUnknown = (v: unknown): v is Unknown => v === UNKNOWN;
export const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A deep, plain copy of resource properties with every unknown replaced by UNKNOWN. Never throws. */
export function plain(value: unknown): Json {
  let v: unknown = value;
  if (typeof v === "object" && v !== null) {
    const target = (v as Record<string, unknown>)[PROXY_TARGET];
    if (target !== undefined) v = target;
  }
  if (v === UNKNOWN) return UNKNOWN;
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return SENTINELS.has(v) ? UNKNOWN : v;
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (child !== undefined) out[k] = plain(child);
    }
    return out;
  }
  return null;
}

/** The value at a path; UNKNOWN as soon as the path crosses an unknown, undefined when absent. */
export function at(v: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const key of path) {
    if (cur === UNKNOWN) return UNKNOWN;
    if (typeof key === "number") {
      cur = Array.isArray(cur) ? cur[key] : undefined;
    } else {
      cur = isObject(cur) ? cur[key] : undefined;
    }
    if (cur === undefined || cur === null) return cur === null ? undefined : cur;
  }
  return cur;
}

/** True when the value contains an unknown anywhere. */
export function hasUnknown(v: Json | undefined): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (isObject(v)) return Object.values(v).some(hasUnknown);
  return false;
}

/** A string, UNKNOWN, or undefined (absent or another type). */
export function str(v: Json | undefined): string | Unknown | undefined {
  return typeof v === "string" || v === UNKNOWN ? v : undefined;
}

/** A number (numeric strings included, as YAML-sourced values may be), UNKNOWN, or undefined. */
export function num(v: Json | undefined): number | Unknown | undefined {
  if (v === UNKNOWN || typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The elements of an array; [] when absent, UNKNOWN when the array itself is unknown. */
export function list(v: Json | undefined): Json[] | Unknown {
  if (v === UNKNOWN) return UNKNOWN;
  return Array.isArray(v) ? v : [];
}

/** The elements of an array, leaving out unknown ones (for checks where one unknown element must not hide others). */
export function knownItems(v: Json | undefined): Json[] {
  const l = list(v);
  return l === UNKNOWN ? [] : l.filter((x) => x !== UNKNOWN);
}

/** A string map (labels, selectors); UNKNOWN when the map or any value is unknown, {} when absent. */
export function stringMap(v: Json | undefined): Record<string, string> | Unknown {
  if (v === UNKNOWN) return UNKNOWN;
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === UNKNOWN) return UNKNOWN;
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean") out[k] = String(val);
  }
  return out;
}

/** Canonical JSON (sorted keys) for structural comparison; undefined when the value holds an unknown. */
export function canonical(v: Json | undefined): string | undefined {
  if (hasUnknown(v)) return undefined;
  const sort = (x: Json | undefined): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (isObject(x))
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort(x[k])]),
      );
    return x;
  };
  return JSON.stringify(sort(v));
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes objects
// ---------------------------------------------------------------------------------------------------------------

/** A Kubernetes object declared by the stack, read from a resource of type `kubernetes:<group>/<version>:<Kind>`. */
export interface KubeObject {
  urn: string;
  type: string;
  /** API group ("" for core), version and kind; from the object's apiVersion/kind, else from the type token. */
  group: string;
  version: string;
  kind: string;
  name: string | Unknown;
  /** The namespace; "default" when a namespaced object names none (what the provider applies it to). */
  namespace: string | Unknown;
  labels: Record<string, string> | Unknown;
  annotations: Record<string, string> | Unknown;
  spec: Json | undefined;
  /** The whole object. */
  body: JsonObject;
  /** A server-side-apply patch of an object that exists outside the stack (`*Patch` types): a partial view. */
  isPatch: boolean;
  /** The engine's view of the resource, in stack policies (for dependencies, parent, options). */
  resource?: PolicyResource;
}

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "APIService",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "GatewayClass",
]);

/** Parses `kubernetes:<group>/<version>:<Kind>`; undefined for providers, Helm, YAML groups and other packages. */
export function kubeTypeToken(type: string): { group: string; version: string; kind: string } | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const groupVersion = m[1] as string;
  const kind = m[2] as string;
  const slash = groupVersion.lastIndexOf("/");
  if (slash < 0) return undefined; // kubernetes:yaml:ConfigFile and friends
  const group = groupVersion.slice(0, slash);
  if (group === "helm.sh" || group === "kustomize" || group === "yaml") return undefined;
  return { group: group === "core" ? "" : group, version: groupVersion.slice(slash + 1), kind };
}

/** The Kubernetes object a resource declares, or undefined when the resource is not a Kubernetes object. */
export function kubeObject(
  type: string,
  props: unknown,
  urn: string,
  resource?: PolicyResource,
): KubeObject | undefined {
  const token = kubeTypeToken(type);
  if (!token) return undefined;
  const body = plain(props);
  if (!isObject(body)) return undefined;
  let { group, version, kind } = token;
  let isPatch = false;
  if (kind.endsWith("Patch") && kind !== "Patch") {
    isPatch = true;
    kind = kind.slice(0, -"Patch".length);
  }
  const apiVersion = str(body.apiVersion);
  if (typeof apiVersion === "string") {
    const slash = apiVersion.lastIndexOf("/");
    group = slash < 0 ? "" : apiVersion.slice(0, slash);
    version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  }
  const bodyKind = str(body.kind);
  if (typeof bodyKind === "string") kind = bodyKind;
  const metadata = body.metadata;
  const name = str(at(metadata, "name"));
  const ns = str(at(metadata, "namespace"));
  return {
    urn,
    type,
    group,
    version,
    kind,
    // A missing name is generated by the provider at apply time: treat it as not known yet.
    name: name ?? UNKNOWN,
    namespace: CLUSTER_SCOPED.has(kind) ? "" : (ns ?? "default"),
    labels: stringMap(at(metadata, "labels")),
    annotations: stringMap(at(metadata, "annotations")),
    spec: body.spec === null ? undefined : body.spec,
    body,
    isPatch,
    ...(resource ? { resource } : {}),
  };
}

/** Every Kubernetes object among the stack's resources. */
export function kubeObjects(resources: PolicyResource[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const r of resources) {
    const o = kubeObject(r.type, r.props, r.urn, r);
    if (o) out.push(o);
  }
  return out;
}

/** True for objects of Istio's API groups (networking, security, telemetry, extensions, ...). */
export const isIstioObject = (o: KubeObject): boolean => o.group === "istio.io" || o.group.endsWith(".istio.io");

/** Istio objects of one kind. */
export function istioObjects(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => isIstioObject(o) && o.kind === kind);
}

/** A value for messages: "<unknown>" when not known yet, "<none>" when absent. */
export function shown(v: string | Unknown | undefined): string {
  return v === UNKNOWN ? "<unknown>" : (v ?? "<none>");
}

/** "namespace/name" for messages; "<unknown>" for parts not known yet. */
export function fullName(o: KubeObject): string {
  return o.namespace === "" ? shown(o.name) : `${shown(o.namespace)}/${shown(o.name)}`;
}

/** The pod templates of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) or a Pod itself. */
export interface PodTemplate {
  owner: KubeObject;
  namespace: string | Unknown;
  labels: Record<string, string> | Unknown;
  annotations: Record<string, string> | Unknown;
  spec: Json | undefined;
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"]);

export function podTemplates(o: KubeObject): PodTemplate[] {
  let template: Json | undefined;
  if (o.kind === "Pod") template = o.body;
  else if (WORKLOADS.has(o.kind)) template = at(o.spec, "template");
  else if (o.kind === "CronJob") template = at(o.spec, "jobTemplate", "spec", "template");
  else return [];
  if (template === undefined) return [];
  if (template === UNKNOWN) {
    return [{ owner: o, namespace: o.namespace, labels: UNKNOWN, annotations: UNKNOWN, spec: UNKNOWN }];
  }
  return [
    {
      owner: o,
      namespace: o.namespace,
      labels: stringMap(at(template, "metadata", "labels")),
      annotations: stringMap(at(template, "metadata", "annotations")),
      spec: at(template, "spec"),
    },
  ];
}

/** Whether a label selector (matchLabels-style map) selects a label set; UNKNOWN when either side is unknown. */
export function selects(
  selector: Record<string, string> | Unknown,
  labels: Record<string, string> | Unknown,
): boolean | Unknown {
  if (selector === UNKNOWN || labels === UNKNOWN) return UNKNOWN;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** `k1=v1,k2=v2`, sorted, as Kubernetes prints a selector. */
export function selectorString(selector: Record<string, string>): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(",");
}

// ---------------------------------------------------------------------------------------------------------------
// Mesh facts
// ---------------------------------------------------------------------------------------------------------------

export const ISTIO_SYSTEM = "istio-system";
/** Istio's official Helm repository. */
export const OFFICIAL_ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
/** Charts Istio publishes there. */
export const ISTIO_CHARTS = new Set(["base", "istiod", "gateway", "cni", "ztunnel", "istiod-remote"]);

/** A Helm release (helm.v3.Release) or chart (helm.v4.Chart) the stack declares. */
export interface HelmRelease {
  urn: string;
  type: string;
  /** The chart name without a repository alias or URL ("istio/istiod" -> "istiod"). */
  chart: string | Unknown | undefined;
  version: string | Unknown | undefined;
  repo: string | Unknown | undefined;
  namespace: string | Unknown | undefined;
  releaseName: string | Unknown | undefined;
  values: Json | undefined;
  resource?: PolicyResource;
}

const HELM_TYPES = new Set(["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"]);

export function helmRelease(
  type: string,
  props: unknown,
  urn: string,
  resource?: PolicyResource,
): HelmRelease | undefined {
  if (!HELM_TYPES.has(type)) return undefined;
  const p = plain(props);
  const chartRaw = str(at(p, "chart"));
  let chart: string | Unknown | undefined = chartRaw;
  let repo = str(at(p, "repositoryOpts", "repo"));
  if (typeof chartRaw === "string") {
    // "oci://registry/path/istiod" or "https://.../istiod-1.23.4.tgz" or "istio/istiod"
    const last = chartRaw.split("/").pop() ?? chartRaw;
    chart = last.replace(/-[0-9][^/]*\.tgz$/, "").replace(/\.tgz$/, "");
    if (repo === undefined && chartRaw.includes("://")) repo = chartRaw.slice(0, chartRaw.length - last.length - 1);
  }
  return {
    urn,
    type,
    chart,
    version: str(at(p, "version")),
    repo,
    namespace: str(at(p, "namespace")),
    releaseName: str(at(p, "name")),
    values: at(p, "values"),
    ...(resource ? { resource } : {}),
  };
}

/** Whether a release installs one of Istio's charts (by chart name and an Istio hint: repo, name or namespace). */
export function isIstioRelease(r: HelmRelease): boolean | Unknown {
  if (r.chart === UNKNOWN) return UNKNOWN;
  if (r.chart === undefined || !ISTIO_CHARTS.has(r.chart)) return false;
  const hints = [r.repo, r.releaseName, r.namespace].filter((h): h is string => typeof h === "string");
  return r.chart === "istiod" || hints.some((h) => h.includes("istio")) || hasIstioValues(r.values);
}

function hasIstioValues(values: Json | undefined): boolean {
  return at(values, "global", "istioNamespace") !== undefined || at(values, "defaultRevision") !== undefined;
}

export function helmReleases(resources: PolicyResource[]): HelmRelease[] {
  const out: HelmRelease[] = [];
  for (const r of resources) {
    const h = helmRelease(r.type, r.props, r.urn, r);
    if (h) out.push(h);
  }
  return out;
}

/**
 * The mesh root namespace: meshConfig.rootNamespace of the istiod release, else its global.istioNamespace, else
 * istio-system (Istio's default). UNKNOWN when the release carries it as an unknown value.
 */
export function meshRootNamespace(resources: PolicyResource[]): string | Unknown {
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const root = str(at(r.values, "meshConfig", "rootNamespace"));
    if (root !== undefined) return root;
    const istioNs = str(at(r.values, "global", "istioNamespace"));
    if (istioNs !== undefined) return istioNs;
  }
  return ISTIO_SYSTEM;
}

// ---------------------------------------------------------------------------------------------------------------
// Istio host names (pkg/config/host) and namespaced references
// ---------------------------------------------------------------------------------------------------------------

/** Istio's host.Name.Matches: wildcard-aware, symmetric host comparison. */
export function hostsMatch(a: string, b: string): boolean {
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** A short host ("reviews") as Istio resolves it from a namespace: "reviews.<ns>.svc.cluster.local". */
export function hostFqdn(host: string, namespace: string): string {
  return host.startsWith("*") || host.includes(".") ? host : `${host}.${namespace}.svc.cluster.local`;
}

/** "name" or "namespace/name" resolved against a default namespace. */
export function namespacedRef(ref: string, defaultNamespace: string): { namespace: string; name: string } {
  const slash = ref.indexOf("/");
  return slash < 0
    ? { namespace: defaultNamespace, name: ref }
    : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

// ---------------------------------------------------------------------------------------------------------------
// Quantities and durations
// ---------------------------------------------------------------------------------------------------------------

const BINARY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity ("128Mi", "1Gi", "500m", "1e3", 2) in base units; undefined when it is not one. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  const m =
    /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(
      q.trim(),
    );
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? "";
  const factor = BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix];
  return factor === undefined ? undefined : base * factor;
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** A duration as Istio accepts it ("30s", "1.5s", "100ms", "1m30s") in seconds; undefined when it is not one. */
export function parseDuration(d: string): number | undefined {
  const s = d.trim();
  if (s === "") return undefined;
  let total = 0;
  let rest = s;
  const part = /^([0-9]+(?:\.[0-9]+)?)(h|ms|us|µs|ns|m|s)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------------------------

/** Reports a stack-policy violation against the resource it concerns. */
export function reportOn(report: ReportViolation, o: { urn: string }, message: string): void {
  report(message, o.urn);
}

/** Reads a policy's configuration with defaults filled in (the engine fills them too; tests and offline runs may not). */
export function configOf<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
  const given = args.getConfig<Partial<T>>();
  const out = { ...defaults };
  for (const k of Object.keys(defaults) as (keyof T)[]) {
    const v = given[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}
