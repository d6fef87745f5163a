// Builds the arguments the policy server hands to validators, the way @pulumi/policy's server.js builds them: props
// wrapped in its unknown-checking proxy, stack resources with parent and dependencies resolved to resource objects.
// Unknown values are the engine's sentinel strings, so a policy meets preview values exactly as in `pulumi preview`.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

interface ProxyModule {
  unknownCheckingProxy(o: unknown): Record<string, unknown>;
  UnknownValueError: new (...args: unknown[]) => Error;
  unknownBooleanValue: string;
  unknownNumberValue: string;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownAssetValue: string;
  unknownArchiveValue: string;
  unknownObjectValue: string;
}
// The proxy module is internal to @pulumi/policy (no typings): the server wraps every resource's props with it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const policyProxy = require("@pulumi/policy/proxy") as ProxyModule;

/** What the engine sends for values unknown during preview. */
export const UNKNOWN_STRING = policyProxy.unknownStringValue;
export const UNKNOWN_OBJECT = policyProxy.unknownObjectValue;
export const UNKNOWN_ARRAY = policyProxy.unknownArrayValue;

export interface Fixture {
  type: string;
  name: string;
  props: Record<string, unknown>;
  urn?: string;
  parent?: string;
  dependencies?: string[];
  protect?: boolean;
}

export const STACK = "test";
export const PROJECT = "aks-mesh";

export function urnOf(f: Fixture): string {
  return f.urn ?? `urn:pulumi:${STACK}::${PROJECT}::${f.type}::${f.name}`;
}

function options(f: Fixture) {
  return {
    protect: f.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(f.parent ? { parent: f.parent } : {}),
  };
}

const notApplicable = (reason?: string): never => {
  throw new Error(`notApplicable: ${reason ?? ""}`);
};

export function resourceArgs(f: Fixture, config: Record<string, unknown> = {}): ResourceValidationArgs {
  return {
    type: f.type,
    props: policyProxy.unknownCheckingProxy(structuredClone(f.props)),
    urn: urnOf(f),
    name: f.name,
    opts: options(f),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

export function stackArgs(fixtures: Fixture[], config: Record<string, unknown> = {}): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  const resources: PolicyResource[] = fixtures.map((f) => {
    const r: PolicyResource = {
      type: f.type,
      props: policyProxy.unknownCheckingProxy(structuredClone(f.props)),
      urn: urnOf(f),
      name: f.name,
      opts: options(f),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    };
    byUrn.set(r.urn, r);
    return r;
  });
  fixtures.forEach((f, i) => {
    const r = resources[i] as PolicyResource;
    const parent = f.parent ? byUrn.get(f.parent) : undefined;
    if (parent) r.parent = parent;
    r.dependencies = (f.dependencies ?? []).map((d) => byUrn.get(d)).filter((d): d is PolicyResource => !!d);
  });
  return { resources, stackTags: new Map(), getConfig: <T extends object>() => config as T, notApplicable };
}

export interface Violation {
  message: string;
  urn?: string;
}

function collector(): { report: ReportViolation; violations: Violation[] } {
  const violations: Violation[] = [];
  const report: ReportViolation = (message: string, urn?: string) => {
    violations.push({ message, ...(urn ? { urn } : {}) });
  };
  return { report, violations };
}

/** Runs a resource policy on one resource; returns its violations. Throws what the validator throws. */
export async function checkResource(
  policy: ResourceValidationPolicy,
  f: Fixture,
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  const { report, violations } = collector();
  const validators = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const v of validators) await v?.(resourceArgs(f, config), report);
  return violations;
}

/** Runs a stack policy on a set of resources; returns its violations. Throws what the validator throws. */
export async function checkStack(
  policy: StackValidationPolicy,
  fixtures: Fixture[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  const { report, violations } = collector();
  await policy.validateStack(stackArgs(fixtures, config), report);
  return violations;
}

// ---------------------------------------------------------------------------------------------------------------
// Resource builders
// ---------------------------------------------------------------------------------------------------------------

const ISTIO_GROUP: Record<string, string> = {
  Gateway: "networking.istio.io",
  VirtualService: "networking.istio.io",
  DestinationRule: "networking.istio.io",
  ServiceEntry: "networking.istio.io",
  Sidecar: "networking.istio.io",
  EnvoyFilter: "networking.istio.io",
  PeerAuthentication: "security.istio.io",
  AuthorizationPolicy: "security.istio.io",
  RequestAuthentication: "security.istio.io",
  Telemetry: "telemetry.istio.io",
  WasmPlugin: "extensions.istio.io",
};

export interface ObjectOptions {
  namespace?: string;
  version?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parent?: string;
  dependencies?: string[];
  resourceName?: string;
}

/** An Istio object as k8s.apiextensions.CustomResource declares it (v1 unless told otherwise). */
export function istio(kind: string, name: string, spec: unknown, o: ObjectOptions = {}): Fixture {
  const group = ISTIO_GROUP[kind];
  if (!group) throw new Error(`no group for ${kind}`);
  const version = o.version ?? (kind === "EnvoyFilter" ? "v1alpha3" : kind === "WasmPlugin" ? "v1alpha1" : "v1");
  return kube(`${group}/${version}`, kind, name, { spec }, o);
}

/** Any Kubernetes object: `apiVersion` like "v1" or "apps/v1". */
export function kube(
  apiVersion: string,
  kind: string,
  name: string,
  body: Record<string, unknown>,
  o: ObjectOptions = {},
): Fixture {
  const groupVersion = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
  const clusterScoped = kind === "Namespace";
  return {
    type: `kubernetes:${groupVersion}:${kind}`,
    name: o.resourceName ?? `${kind.toLowerCase()}-${name}`,
    props: {
      apiVersion,
      kind,
      metadata: {
        name,
        ...(clusterScoped ? {} : { namespace: o.namespace ?? "default" }),
        ...(o.labels ? { labels: o.labels } : {}),
        ...(o.annotations ? { annotations: o.annotations } : {}),
      },
      ...body,
    },
    ...(o.parent ? { parent: o.parent } : {}),
    ...(o.dependencies ? { dependencies: o.dependencies } : {}),
  };
}

export function namespace(name: string, labels?: Record<string, string>): Fixture {
  return kube("v1", "Namespace", name, {}, labels ? { labels } : {});
}

/** A Deployment whose pod template has these labels/annotations and containers. */
export function deployment(
  name: string,
  ns: string,
  template: { labels?: Record<string, string>; annotations?: Record<string, string>; containers?: unknown[] },
): Fixture {
  return kube(
    "apps/v1",
    "Deployment",
    name,
    {
      spec: {
        selector: { matchLabels: template.labels ?? { app: name } },
        template: {
          metadata: {
            labels: template.labels ?? { app: name },
            ...(template.annotations ? { annotations: template.annotations } : {}),
          },
          spec: { containers: template.containers ?? [{ name: "app", image: "example/app:1" }] },
        },
      },
    },
    { namespace: ns },
  );
}

/** The ingress gateway Deployment as components/ingress builds it (labels app/istio/rev, gateway injection template). */
export function gatewayDeployment(ns = "istio-ingress", resources?: unknown): Fixture {
  return deployment("istio-ingressgateway", ns, {
    labels: {
      app: "istio-ingressgateway",
      istio: "ingressgateway",
      "sidecar.istio.io/inject": "true",
      "istio.io/rev": "1-23-4",
    },
    annotations: { "inject.istio.io/templates": "gateway" },
    containers: [
      {
        name: "istio-proxy",
        image: "auto",
        resources: resources ?? { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } },
      },
    ],
  });
}

export const OFFICIAL_REPO = "https://istio-release.storage.googleapis.com/charts";

/** A helm.v3.Release of one of Istio's charts. */
export function helmRelease(chart: string, props: Record<string, unknown> = {}): Fixture {
  return {
    type: "kubernetes:helm.sh/v3:Release",
    name: `istio-${chart}`,
    props: {
      chart,
      version: "1.23.4",
      name: chart === "istiod" ? "istiod-1-23-4" : `istio-${chart}`,
      namespace: "istio-system",
      repositoryOpts: { repo: OFFICIAL_REPO },
      values: {},
      ...props,
    },
  };
}

/** The Pulumi stack resource (stack-wide violations are reported on it). */
export const stackResource: Fixture = { type: "pulumi:pulumi:Stack", name: `${PROJECT}-${STACK}`, props: {} };

/** Runs any policy: a resource policy on each fixture in turn, a stack policy on all of them at once. */
export async function check(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  fixtures: Fixture[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  if ("validateStack" in policy) return checkStack(policy, fixtures, config);
  const out: Violation[] = [];
  for (const f of fixtures) out.push(...(await checkResource(policy, f, config)));
  return out;
}

const KEEP = new Set(["apiVersion", "kind"]);

/** The fixture as `pulumi preview` may see it: every value unknown (apiVersion and kind stay: the SDK sets them). */
export function allUnknown(f: Fixture): Fixture {
  const unknownOf = (v: unknown): unknown => {
    if (Array.isArray(v)) return UNKNOWN_ARRAY;
    if (v !== null && typeof v === "object") return UNKNOWN_OBJECT;
    if (typeof v === "number") return policyProxy.unknownNumberValue;
    if (typeof v === "boolean") return policyProxy.unknownBooleanValue;
    return UNKNOWN_STRING;
  };
  const props = Object.fromEntries(Object.entries(f.props).map(([k, v]) => [k, KEEP.has(k) ? v : unknownOf(v)]));
  return { ...f, props };
}

/** The fixture with every leaf value unknown but its structure kept (unknown names, modes, hosts, versions...). */
export function unknownLeaves(f: Fixture): Fixture {
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && KEEP.has(key)) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x, k)]));
    }
    if (typeof v === "number") return policyProxy.unknownNumberValue;
    if (typeof v === "boolean") return policyProxy.unknownBooleanValue;
    return UNKNOWN_STRING;
  };
  return { ...f, props: walk(f.props) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------------------------
// Table-driven cases
// ---------------------------------------------------------------------------------------------------------------

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export interface Case {
  /** What the case protects, as the test's name. */
  title: string;
  policy: AnyPolicy;
  fixtures: Fixture[];
  config?: Record<string, unknown>;
  /** A pattern every violation message must match; absent for an accepting case. */
  rejects?: RegExp;
  /** How many violations a rejecting case reports (default: at least one). */
  count?: number;
  /**
   * Violations still decided in preview, for what stays known there (apiVersion and kind, which fields are set):
   * with every value unknown, and with every leaf unknown. Default 0 for both.
   */
  preview?: { allUnknown?: number; unknownLeaves?: number };
}

/** One test per case: a rejecting case reports what `rejects` says, an accepting case reports nothing. */
export function runCases(cases: Case[]): void {
  it.each(cases.map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const violations = await check(c.policy, c.fixtures, c.config);
    if (!c.rejects) {
      expect(violations).toEqual([]);
      return;
    }
    if (c.count !== undefined) expect(violations).toHaveLength(c.count);
    else expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) expect(v.message).toMatch(c.rejects);
  });
}

/**
 * Preview safety: every rejecting case, with its values unknown (wholesale, or leaf by leaf), never throws and reports
 * nothing it cannot decide: an unknown value means "cannot decide". Only what stays known (Case.preview) is reported.
 */
export function runPreviewSafety(cases: Case[]): void {
  const rejecting = cases.filter((c) => c.rejects);
  const variants = rejecting.flatMap((c) => [
    [`${c.title}, every value unknown`, c, c.fixtures.map(allUnknown), c.preview?.allUnknown ?? 0] as const,
    [`${c.title}, every leaf unknown`, c, c.fixtures.map(unknownLeaves), c.preview?.unknownLeaves ?? 0] as const,
  ]);
  it.each(variants)("survives preview: %s", async (_title, c, fixtures, expected) => {
    const protectedFixtures = fixtures.map((f) => ({ ...f, protect: true }));
    const violations = await check(c.policy, protectedFixtures, c.config);
    expect(violations).toHaveLength(expected);
    for (const v of violations) expect(v.message).toMatch(c.rejects as RegExp);
  });
}

/** Every policy of an area has at least one rejecting and one accepting case. */
export function runCoverage(area: AnyPolicy[], cases: Case[]): void {
  it.each(area.map((p) => [p.name, p] as const))("%s has a rejecting and an accepting case", (_name, p) => {
    expect(cases.some((c) => c.policy === p && c.rejects)).toBe(true);
    expect(cases.some((c) => c.policy === p && !c.rejects)).toBe(true);
  });
}
