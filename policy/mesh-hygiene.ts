// Mesh hygiene: the Istio policies of Kyverno's policy library (kyverno/policies, istio/) and of the GKE Policy
// Controller's Anthos Service Mesh bundle (GoogleCloudPlatform/gke-policy-library, bundles/asm-policy-v0.0.1), as
// preview-time checks of what the stack declares. Each policy is named after the check it ports.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  at,
  configOf,
  fullName,
  helmReleases,
  isIstioObject,
  istioObjects,
  type Json,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  podTemplates,
  str,
  stringMap,
  UNKNOWN,
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
  description: "Namespaces the check leaves alone.",
};

export const enforceSidecarInjectionNamespace: ResourceValidationPolicy = {
  name: "enforce-sidecar-injection-namespace",
  description:
    "Every namespace the stack creates or labels enables sidecar injection (istio.io/rev=<revision> for revisioned " +
    "installs, or istio-injection=enabled), so no workload lands outside the mesh (Kyverno enforce-sidecar-injection-namespace).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema } },
  validateResource: (args, report) => {
    const ns = kubeObject(args.type, args.props, args.urn);
    if (!ns || ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) return;
    const cfg = configOf<ExcludedConfig>(args, { excludedNamespaces: SYSTEM_NAMESPACES });
    if (cfg.excludedNamespaces.includes(ns.name)) return;
    const injection = ns.labels["istio-injection"];
    const rev = ns.labels["istio.io/rev"];
    if (injection === "enabled" || (rev !== undefined && injection === undefined)) return;
    // A patch only shows the labels it sets: without injection labels it says nothing about the namespace.
    if (ns.isPatch && injection === undefined && rev === undefined) return;
    report(
      `Namespace ${ns.name} does not enable Istio sidecar injection` +
        `${injection !== undefined ? ` (istio-injection=${injection})` : ""}: label it istio.io/rev=<revision> ` +
        "(config aks-mesh:meshNamespaces), or exclude it with this policy's excludedNamespaces if it must stay outside the mesh.",
    );
  },
};

export const preventDisablingInjectionPods: ResourceValidationPolicy = {
  name: "prevent-disabling-injection-pods",
  description:
    "No workload opts out of sidecar injection with sidecar.istio.io/inject=false: pods without a sidecar bypass " +
    "mTLS and authorization, and cannot be observed (Kyverno prevent-disabling-injection-pods; GKE asm-sidecar-injection).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema } },
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    const cfg = configOf<ExcludedConfig>(args, { excludedNamespaces: SYSTEM_NAMESPACES });
    for (const t of podTemplates(obj)) {
      if (t.namespace === UNKNOWN || cfg.excludedNamespaces.includes(t.namespace)) continue;
      for (const [where, map] of [
        ["annotation", t.annotations],
        ["label", t.labels],
      ] as const) {
        if (map === UNKNOWN) continue;
        const v = map["sidecar.istio.io/inject"];
        if (v !== undefined && v.toLowerCase() === "false") {
          report(
            `${obj.kind} ${fullName(obj)} disables sidecar injection with the pod ${where} sidecar.istio.io/inject="${v}": ` +
              "remove it, or run the workload in a namespace excluded from the mesh.",
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

export const asmAuthzPolicyDefaultDeny: StackValidationPolicy = {
  name: "asm-authz-policy-default-deny",
  description:
    "The mesh has a default-deny AuthorizationPolicy (root namespace, no selector, no rules), so every workload only " +
    "accepts what an ALLOW policy names (GKE asm-authz-policy-mesh-default-deny; Istio security best practices).",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    // Only meaningful once the stack runs a mesh: it installs istiod.
    const installsIstio = helmReleases(args.resources).some((r) => r.chart === "istiod");
    if (!installsIstio) return;
    let unknown = false;
    for (const ap of istioObjects(objects, "AuthorizationPolicy")) {
      if (ap.namespace === UNKNOWN) {
        unknown = true;
        continue;
      }
      if (ap.namespace !== root) continue;
      const spec = ap.spec;
      const sel = stringMap(at(spec, "selector", "matchLabels"));
      const action = str(at(spec, "action"));
      const rules = list(at(spec, "rules"));
      if (sel === UNKNOWN || action === UNKNOWN || rules === UNKNOWN) {
        unknown = true;
        continue;
      }
      if (Object.keys(sel).length === 0 && (action === undefined || action === "ALLOW") && rules.length === 0) return;
    }
    if (unknown) return;
    const target = args.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    report(
      `The mesh has no default-deny AuthorizationPolicy: add one in ${root} with an empty spec ({}), then one ALLOW ` +
        "policy per workload for the traffic it needs (the security layer delivers these).",
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
