// Mesh hygiene: the Istio policies of Kyverno's policy library (kyverno/policies, istio/) and of the GKE Policy
// Controller's Anthos Service Mesh bundle (GoogleCloudPlatform/gke-policy-library, bundles/asm-policy-v0.0.1), as
// preview-time checks of what the stack declares. Each policy is named after the check it ports.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  declaredNamespaces,
  gatewayNamespaces,
  INJECTION_LABEL,
  type Injectors,
  installedInjectors,
  isDeclaredOutsideMesh,
  podInjected,
  REVISION_LABEL,
  SIDECAR_INJECT,
} from "./injection";
import {
  at,
  configOf,
  fullName,
  helmRelease,
  isIstioObject,
  isObject,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  podTemplates,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "./lib";

/** Namespaces the injection checks leave alone by default (GKE asm-sidecar-injection excludes these and a few GKE ones). */
export const SYSTEM_NAMESPACES = ["istio-system", "kube-system", "kube-public", "kube-node-lease"];

interface ExcludedConfig {
  excludedNamespaces: string[];
}

const excludedNamespacesSchema = {
  type: "array" as const,
  items: { type: "string" as const },
  default: SYSTEM_NAMESPACES,
  description:
    "Namespaces the check leaves alone. Gateway namespaces and namespaces labelled istio-injection=disabled are " +
    "left alone without being listed.",
};

/** Why a namespace's plain pods get no sidecar from what the stack installs, in one clause. */
function whyNotInjected(labels: Record<string, string>, inj: Injectors): string {
  const installed = `the stack installs (${inj.revisions.map((r) => `"${r}"`).join(", ") || "none"})`;
  const legacy = labels[INJECTION_LABEL];
  const rev = labels[REVISION_LABEL];
  if (legacy !== undefined && legacy !== "enabled") return `${INJECTION_LABEL}=${legacy} turns injection off`;
  if (legacy === "enabled") {
    const overrides = rev !== undefined ? ` (and it overrides ${REVISION_LABEL}=${rev})` : "";
    return (
      `${INJECTION_LABEL}=enabled injects only with the default revision or a "default" revision tag, and ` +
      `${installed}${overrides}`
    );
  }
  if (rev !== undefined) return `${REVISION_LABEL}=${rev} names no revision or tag ${installed}`;
  return "it has neither istio.io/rev nor istio-injection";
}

export const enforceSidecarInjectionNamespace: StackValidationPolicy = {
  name: "enforce-sidecar-injection-namespace",
  description:
    "Every namespace the stack creates or labels makes the injectors the stack installs inject its pods (istio.io/rev " +
    "naming an installed revision or tag; istio-injection=enabled only with a default revision or tag), so no " +
    "workload lands outside the mesh. House rule after Kyverno enforce-sidecar-injection-namespace, decided as the " +
    "istiod 1.23.4 chart's webhooks select (templates/mutatingwebhook.yaml, revision-tags.yaml).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema } },
  validateStack: (args, report) => {
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const cfg = configOf<ExcludedConfig>(args, { excludedNamespaces: SYSTEM_NAMESPACES });
    const gateways = gatewayNamespaces(args.resources, objects);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    for (const [name, ns] of namespaces) {
      if (cfg.excludedNamespaces.includes(name) || gateways.has(name) || isDeclaredOutsideMesh(ns.labels)) continue;
      // A patch only shows the labels it sets: without injection labels it says nothing about the namespace.
      if (ns.partial && ns.labels[INJECTION_LABEL] === undefined && ns.labels[REVISION_LABEL] === undefined) continue;
      if (podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} })) continue;
      report(
        `Namespace ${name} would get no sidecars: ${whyNotInjected(ns.labels, inj)}. Label it ` +
          `${REVISION_LABEL}=${inj.revisions[0] ?? "<revision>"} (config aks-mesh:meshNamespaces), or label it ` +
          `${INJECTION_LABEL}=disabled to declare it outside the mesh.`,
        ns.object.urn,
      );
    }
  },
};

/** A workload (or values of a chart) the check exempts, with the reason it runs without a sidecar. */
export interface InjectionExemption {
  /** Helm chart name and the values path of the labels/annotations map that opts out ("server.podLabels"). */
  chart?: string;
  path?: string;
  /** Or a workload the stack declares: kind, name and (optionally) namespace. */
  kind?: string;
  name?: string;
  namespace?: string;
  /** Why it must run outside the mesh. Required. */
  reason: string;
}

/**
 * The observability charts' pods that opt out through values (components/observability/mesh.ts says why), exempt by
 * default. A stack's policy file that sets `exemptions` replaces this list.
 */
export const OBSERVABILITY_EXEMPTIONS: InjectionExemption[] = [
  {
    chart: "prometheus",
    path: "server.podLabels",
    reason:
      "Prometheus scrapes every sidecar's merged metrics on plain-text port 15020; a sidecar would intercept them.",
  },
  {
    chart: "prometheus",
    path: "alertmanager.podLabels",
    reason: "Alertmanager runs beside Prometheus, outside the mesh, so alerts still go out when the mesh is broken.",
  },
  {
    chart: "prometheus",
    path: "kube-state-metrics.podLabels",
    reason: "kube-state-metrics is scraped by Prometheus in plain text, outside the mesh like Prometheus itself.",
  },
  {
    chart: "prometheus",
    path: "prometheus-node-exporter.podLabels",
    reason: "node-exporter runs on the host network, where sidecar injection does not apply.",
  },
  {
    chart: "jaeger",
    path: "jaeger.podLabels",
    reason: "A sidecar on Jaeger would trace the span uploads it receives, feeding its own traffic back into itself.",
  },
  {
    chart: "loki",
    path: "defaults.podLabels",
    reason: "The log pipeline must keep working when the mesh is what is broken.",
  },
  {
    chart: "alloy",
    path: "controller.podLabels",
    reason: "The log pipeline must keep working when the mesh is what is broken.",
  },
];

interface ExemptionConfig extends ExcludedConfig {
  exemptions: InjectionExemption[];
}

/** Whether a sidecar.istio.io/inject value turns injection off (inject.go injectRequired: not y/yes/true/on, not ""). */
export function disablesInjection(v: string): boolean {
  return v !== "" && !["y", "yes", "true", "on"].includes(v.toLowerCase());
}

/** Every map in a values tree that sets sidecar.istio.io/inject, with its path ("server.podLabels"). */
function injectionOptOuts(values: Json | undefined, path: string[] = []): { path: string; value: string }[] {
  if (Array.isArray(values)) return values.flatMap((v, i) => injectionOptOuts(v, [...path, String(i)]));
  if (!isObject(values)) return [];
  const out: { path: string; value: string }[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (k === SIDECAR_INJECT && typeof v === "string" && disablesInjection(v))
      out.push({ path: path.join("."), value: v });
    else out.push(...injectionOptOuts(v, [...path, k]));
  }
  return out;
}

const exemptionsSchema = {
  type: "array" as const,
  default: OBSERVABILITY_EXEMPTIONS,
  description:
    "Workloads allowed to run without a sidecar, each with its reason: {chart, path, reason} for a Helm chart's " +
    "values (path of the labels map, e.g. server.podLabels), {kind, name, namespace?, reason} for a workload.",
  items: {
    type: "object" as const,
    required: ["reason"],
    additionalProperties: false,
    properties: {
      chart: { type: "string" as const },
      path: { type: "string" as const },
      kind: { type: "string" as const },
      name: { type: "string" as const },
      namespace: { type: "string" as const },
      reason: { type: "string" as const, minLength: 10 },
    },
  },
};

export const preventDisablingInjectionPods: ResourceValidationPolicy = {
  name: "prevent-disabling-injection-pods",
  description:
    "No workload opts out of sidecar injection (sidecar.istio.io/inject set to anything but y/yes/true/on, on the " +
    "pod or in a Helm release's values) unless listed in exemptions with its reason: pods without a sidecar bypass " +
    "mTLS and authorization, and cannot be observed (Kyverno prevent-disabling-injection-pods; GKE asm-sidecar-injection; " +
    "values as Istio reads them, pkg/kube/inject/inject.go injectRequired).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema, exemptions: exemptionsSchema } },
  validateResource: (args, report) => {
    const cfg = configOf<ExemptionConfig>(args, {
      excludedNamespaces: SYSTEM_NAMESPACES,
      exemptions: OBSERVABILITY_EXEMPTIONS,
    });
    const release = helmRelease(args.type, args.props, args.urn);
    if (release) {
      if (typeof release.chart !== "string") return;
      if (typeof release.namespace === "string" && cfg.excludedNamespaces.includes(release.namespace)) return;
      for (const o of injectionOptOuts(release.values)) {
        if (cfg.exemptions.some((e) => e.chart === release.chart && e.path === o.path && (e.reason ?? "") !== ""))
          continue;
        report(
          `Helm release ${args.name} (chart ${release.chart}) turns sidecar injection off at values.${o.path} ` +
            `(sidecar.istio.io/inject="${o.value}"): remove it, or list {chart: "${release.chart}", path: "${o.path}", ` +
            "reason} in this policy's exemptions.",
        );
      }
      return;
    }
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    for (const t of podTemplates(obj)) {
      if (t.namespace === UNKNOWN || cfg.excludedNamespaces.includes(t.namespace)) continue;
      const exempt = cfg.exemptions.some(
        (e) =>
          e.kind === obj.kind &&
          e.name === obj.name &&
          (e.namespace === undefined || e.namespace === t.namespace) &&
          (e.reason ?? "") !== "",
      );
      if (exempt) continue;
      for (const [where, map] of [
        ["annotation", t.annotations],
        ["label", t.labels],
      ] as const) {
        if (map === UNKNOWN) continue;
        const v = map[SIDECAR_INJECT];
        if (v !== undefined && disablesInjection(v)) {
          report(
            `${obj.kind} ${fullName(obj)} disables sidecar injection with the pod ${where} sidecar.istio.io/inject="${v}": ` +
              `remove it, or list {kind: "${obj.kind}", name: "${String(obj.name)}", reason} in this policy's exemptions.`,
          );
        }
      }
    }
  },
};

export const asmIngressgatewayLabel: ResourceValidationPolicy = {
  name: "asm-ingressgateway-label",
  description:
    "Only ingress gateway pods carry the label istio=ingressgateway: Gateways select on it, so any other pod with it " +
    "would receive the public ingress traffic (GKE asm-ingressgateway-label).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    for (const t of podTemplates(obj)) {
      if (t.labels === UNKNOWN || t.labels.istio !== "ingressgateway" || t.annotations === UNKNOWN) continue;
      // A gateway pod is injected with the gateway template and runs Envoy as its only container, named istio-proxy.
      const containers = knownItems(at(t.spec, "containers"));
      const names = containers.map((c) => str(at(c, "name")));
      if (names.some((n) => n === UNKNOWN)) continue;
      const isGateway =
        t.annotations["inject.istio.io/templates"] === "gateway" && names.length === 1 && names[0] === "istio-proxy";
      if (!isGateway) {
        report(
          `${obj.kind} ${fullName(obj)} labels its pods istio=ingressgateway but is not an ingress gateway (gateway ` +
            "injection template and a single istio-proxy container): remove the label.",
        );
      }
    }
  },
};

/** An AuthorizationPolicy that denies everything it applies to: ALLOW (or no action) with no rules (GKE's definition). */
interface DefaultDeny {
  namespace: string;
  /** Its selector; {} applies to the whole namespace (the whole mesh in the root namespace). */
  selector: Record<string, string>;
}

/** The default-deny policies the stack declares; UNKNOWN when one may be and its values are not known yet. */
function defaultDenies(objects: KubeObject[]): DefaultDeny[] | Unknown {
  const out: DefaultDeny[] = [];
  for (const ap of istioObjects(objects, "AuthorizationPolicy")) {
    const sel = stringMap(at(ap.spec, "selector", "matchLabels"));
    const action = str(at(ap.spec, "action"));
    const rules = list(at(ap.spec, "rules"));
    const targeted = at(ap.spec, "targetRef") !== undefined || at(ap.spec, "targetRefs") !== undefined;
    if (ap.namespace === UNKNOWN || sel === UNKNOWN || action === UNKNOWN || rules === UNKNOWN) return UNKNOWN;
    if (targeted || (action !== undefined && action !== "ALLOW") || rules.length > 0) continue;
    out.push({ namespace: ap.namespace, selector: sel });
  }
  return out;
}

/**
 * Whether a policy in `policyNs` with `selector` applies to a pod: in the root namespace to matching pods of every
 * namespace, elsewhere to matching pods of its own namespace (Istio AuthorizationPolicy reference, "workload selector").
 */
export function appliesTo(
  policyNs: string,
  selector: Record<string, string>,
  root: string,
  pod: { namespace: string; labels: Record<string, string> },
): boolean {
  if (policyNs !== root && policyNs !== pod.namespace) return false;
  return Object.entries(selector).every(([k, v]) => pod.labels[k] === v);
}

export const asmAuthzPolicyDefaultDeny: StackValidationPolicy = {
  name: "asm-authz-policy-default-deny",
  description:
    "Every workload with a sidecar is under a default-deny AuthorizationPolicy (ALLOW with no rules), so it only " +
    "accepts what an ALLOW policy names: one in the root namespace without a selector covers the mesh; a root-namespace " +
    "one with a selector covers matching workloads of every namespace; a namespace's own covers it (GKE " +
    "asm-authz-policy-mesh-default-deny; Istio security best practices and AuthorizationPolicy reference).",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    // Only meaningful once the stack runs a mesh: it installs istiod.
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const denies = defaultDenies(objects);
    if (denies === UNKNOWN) return;
    const target = args.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    if (denies.some((d) => d.namespace === root && Object.keys(d.selector).length === 0)) return;
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    const gateways = gatewayNamespaces(args.resources, objects);
    const uncovered: string[] = [];
    let units = 0;
    // Enrolled namespaces: every future pod there needs the namespace's own (or the mesh's) default-deny.
    for (const [name, ns] of namespaces) {
      if (gateways.has(name) || !podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} }))
        continue;
      units++;
      if (!denies.some((d) => d.namespace === name && Object.keys(d.selector).length === 0))
        uncovered.push(`namespace ${name}`);
    }
    // Workloads the stack declares that get a sidecar (gateway pods included: they are injected by pod labels).
    for (const o of objects) {
      for (const t of podTemplates(o)) {
        if (t.namespace === UNKNOWN || t.labels === UNKNOWN || t.annotations === UNKNOWN) continue;
        const ns = namespaces.get(t.namespace);
        const pod = { namespace: t.namespace, labels: t.labels, annotations: t.annotations };
        if (!podInjected(inj, ns?.labels ?? {}, pod)) continue;
        units++;
        if (!denies.some((d) => appliesTo(d.namespace, d.selector, root, pod)))
          uncovered.push(`${o.kind} ${fullName(o)}`);
      }
    }
    if (units > 0 && uncovered.length === 0) return;
    const what = uncovered.length > 0 ? ` (not covered: ${uncovered.join(", ")})` : "";
    report(
      `The mesh has no default-deny AuthorizationPolicy for every workload${what}: add one in ${root} with an empty ` +
        "spec ({}), or one per namespace or root-namespace selector, then one ALLOW policy per workload for the " +
        "traffic it needs (the security layer delivers these).",
      target?.urn,
    );
  },
};

export const restrictVirtualServiceWildcard: ResourceValidationPolicy = {
  name: "restrict-virtual-service-wildcard",
  description:
    "VirtualService hosts name exact hosts, no wildcards: a wildcard host routes traffic meant for other " +
    "services to this one (Kyverno restrict-virtual-service-wildcard).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const vs = kubeObject(args.type, args.props, args.urn);
    if (!vs || !isIstioObject(vs) || vs.kind !== "VirtualService") return;
    for (const h of knownItems(at(vs.spec, "hosts"))) {
      if (typeof h === "string" && h.includes("*")) {
        report(`VirtualService ${fullName(vs)} has wildcard host "${h}": list the exact hosts it serves.`);
      }
    }
  },
};

/** Every TLS settings block of a DestinationRule, with its path (top level, port level, per subset). */
function tlsSettings(spec: Json | undefined): { path: string; tls: Json }[] {
  const out: { path: string; tls: Json }[] = [];
  const fromPolicy = (path: string, policy: Json | undefined) => {
    const tls = at(policy, "tls");
    if (tls !== undefined) out.push({ path: `${path}.tls`, tls });
    knownItems(at(policy, "portLevelSettings")).forEach((p, i) => {
      const t = at(p, "tls");
      if (t !== undefined) out.push({ path: `${path}.portLevelSettings[${i}].tls`, tls: t });
    });
  };
  fromPolicy("trafficPolicy", at(spec, "trafficPolicy"));
  knownItems(at(spec, "subsets")).forEach((s, i) => fromPolicy(`subsets[${i}].trafficPolicy`, at(s, "trafficPolicy")));
  return out;
}

export const destinationRuleTlsEnabled: ResourceValidationPolicy = {
  name: "destination-rule-tls-enabled",
  description:
    "No DestinationRule sets TLS mode DISABLE: it sends plaintext to the destination even inside an mTLS mesh " +
    "(GKE DestinationRuleTLSEnabled; Kyverno enforce-tls-hosts-host-subnets).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule") return;
    for (const { path, tls } of tlsSettings(dr.spec)) {
      if (str(at(tls, "mode")) === "DISABLE") {
        report(
          `DestinationRule ${fullName(dr)} sets spec.${path}.mode DISABLE: use ISTIO_MUTUAL (in the mesh) or SIMPLE/MUTUAL.`,
        );
      }
    }
  },
};

/**
 * Well-known HTTP request headers a JWT must never be copied into: routing, authentication, forwarding and tracing
 * headers that proxies and applications trust (RFC 9110 request fields, de-facto X-Forwarded-*, Envoy/Istio and
 * trace-context headers). The GKE constraint keeps its own built-in list; this is ours, extendable per stack.
 */
export const WELL_KNOWN_REQUEST_HEADERS = [
  "accept",
  "accept-encoding",
  "accept-language",
  "authorization",
  "cache-control",
  "connection",
  "content-length",
  "content-type",
  "cookie",
  "expect",
  "forwarded",
  "from",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "max-forwards",
  "origin",
  "proxy-authorization",
  "range",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "via",
  "x-forwarded-client-cert",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "x-request-id",
  "x-envoy-original-path",
  "x-envoy-external-address",
  "traceparent",
  "tracestate",
  "x-b3-traceid",
  "x-b3-spanid",
  "x-b3-parentspanid",
  "x-b3-sampled",
  "x-b3-flags",
  "b3",
];

interface HeadersConfig {
  /** Extra header names no JWT may be written to. */
  prohibitedHeaders: string[];
}

export const asmRequestAuthnProhibitedOutputHeaders: ResourceValidationPolicy = {
  name: "asm-request-authn-prohibited-output-headers",
  description:
    "A RequestAuthentication never copies a JWT payload or claim into a well-known request header (Authorization, " +
    "Host, Cookie, X-Forwarded-*, ...) or a configured one: applications would trust a value the caller controls " +
    "(GKE asm-request-authn-prohibited-output-headers).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      prohibitedHeaders: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Header names prohibited in addition to the well-known ones.",
      },
    },
  },
  validateResource: (args, report) => {
    const ra = kubeObject(args.type, args.props, args.urn);
    if (!ra || !isIstioObject(ra) || ra.kind !== "RequestAuthentication") return;
    const cfg = configOf<HeadersConfig>(args, { prohibitedHeaders: [] });
    const prohibited = new Set([...WELL_KNOWN_REQUEST_HEADERS, ...cfg.prohibitedHeaders].map((h) => h.toLowerCase()));
    knownItems(at(ra.spec, "jwtRules")).forEach((rule, i) => {
      const outputs: { path: string; header: string }[] = [];
      const payload = str(at(rule, "outputPayloadToHeader"));
      if (typeof payload === "string") outputs.push({ path: `jwtRules[${i}].outputPayloadToHeader`, header: payload });
      knownItems(at(rule, "outputClaimToHeaders")).forEach((c, j) => {
        const h = str(at(c, "header"));
        if (typeof h === "string")
          outputs.push({ path: `jwtRules[${i}].outputClaimToHeaders[${j}].header`, header: h });
      });
      for (const o of outputs) {
        if (prohibited.has(o.header.toLowerCase())) {
          report(
            `RequestAuthentication ${fullName(ra)} writes the JWT to header "${o.header}" (spec.${o.path}), a prohibited ` +
              'header: use an application-specific header such as "x-jwt-payload".',
          );
        }
      }
    });
  },
};

export const meshHygienePolicies = [
  enforceSidecarInjectionNamespace,
  preventDisablingInjectionPods,
  asmIngressgatewayLabel,
  asmAuthzPolicyDefaultDeny,
  restrictVirtualServiceWildcard,
  destinationRuleTlsEnabled,
  asmRequestAuthnProhibitedOutputHeaders,
];
