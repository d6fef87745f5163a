// RequestAuthentication checks: a principal policy behind every RequestAuthentication (house rule) and the
// GKE Policy Controller's asm-request-authn-prohibited-output-headers (GoogleCloudPlatform/gke-policy-library,
// bundles/asm-policy-v0.0.1).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { selectsAll } from "./peer-authentication";
import {
  at,
  fullName,
  isIstioObject,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
  configOf,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// RequestAuthentication needs an AuthorizationPolicy that requires a token
// ---------------------------------------------------------------------------------------------------------------

/** Whether an AuthorizationPolicy refuses requests without a valid JWT; UNKNOWN when that depends on unknown values. */
export function requiresRequestPrincipal(spec: Json | undefined): boolean | Unknown {
  const action = str(at(spec, "action"));
  if (action === UNKNOWN) return UNKNOWN;
  const rules = list(at(spec, "rules"));
  if (rules === UNKNOWN) return UNKNOWN;
  if (action === "DENY") {
    // Istio's documented pattern: DENY from notRequestPrincipals ["*"] (no token, no entry).
    let unknown = false;
    for (const rule of rules) {
      for (const from of knownFrom(rule)) {
        const np = at(from, "source", "notRequestPrincipals");
        if (np === UNKNOWN) unknown = true;
        else if (Array.isArray(np) && np.length > 0) return true;
      }
    }
    return unknown ? UNKNOWN : false;
  }
  if (action !== undefined && action !== "ALLOW") return false;
  // ALLOW: every rule must demand a request principal in every source it accepts.
  if (rules.length === 0) return false;
  let unknown = false;
  for (const rule of rules) {
    const from = list(at(rule, "from"));
    if (from === UNKNOWN) {
      unknown = true;
      continue;
    }
    if (from.length === 0) return false;
    for (const f of from) {
      const rp = at(f, "source", "requestPrincipals");
      if (rp === UNKNOWN) unknown = true;
      else if (!Array.isArray(rp) || rp.length === 0) return false;
    }
  }
  return unknown ? UNKNOWN : true;
}

function knownFrom(rule: Json): Json[] {
  const from = list(at(rule, "from"));
  return from === UNKNOWN ? [] : from;
}

/** Whether policy object `ap` applies to every workload `ra` applies to; UNKNOWN when that is not known yet. */
function coversWorkloads(ap: KubeObject, ra: KubeObject, root: string): boolean | Unknown {
  if (ap.namespace === UNKNOWN || ra.namespace === UNKNOWN) return UNKNOWN;
  const apAll = selectsAll(ap.spec);
  if (apAll === UNKNOWN) return UNKNOWN;
  const targetRefs = (o: KubeObject): string[] => {
    const refs: Json[] = knownItems(at(o.spec, "targetRefs"));
    const single = at(o.spec, "targetRef");
    if (single !== undefined) refs.push(single);
    return refs.map((r) => `${String(str(at(r, "kind")))}/${String(str(at(r, "name")))}`);
  };
  const raRefs = targetRefs(ra);
  if (raRefs.length > 0) {
    const apRefs = targetRefs(ap);
    return ap.namespace === ra.namespace && raRefs.every((r) => apRefs.includes(r));
  }
  if (ap.namespace === root && apAll === true) return true;
  // A root-namespace policy with a selector applies to matching workloads of every namespace (AuthorizationPolicy
  // reference: "a policy in the root namespace ... applies to all namespaces"); elsewhere only to its own namespace.
  if (ap.namespace !== ra.namespace && ap.namespace !== root) return false;
  if (apAll === true) return true;
  const apSel = stringMap(at(ap.spec, "selector", "matchLabels"));
  const raSel = stringMap(at(ra.spec, "selector", "matchLabels"));
  if (apSel === UNKNOWN || raSel === UNKNOWN) return UNKNOWN;
  // Every pod the RequestAuthentication selects carries raSel's labels; the policy selects them all if apSel ⊆ raSel.
  return Object.keys(raSel).length > 0 && Object.entries(apSel).every(([k, v]) => raSel[k] === v);
}

export const requestAuthenticationRequiresPrincipalPolicy: StackValidationPolicy & Why = {
  name: "request-authentication-requires-principal-policy",
  description:
    "Every RequestAuthentication comes with an AuthorizationPolicy that requires a request principal for the same " +
    "workloads: a RequestAuthentication alone only rejects invalid tokens, requests without any token still pass " +
    "(Istio JWT authentication docs).",
  enforcementLevel: "mandatory",
  why: "a RequestAuthentication alone only rejects bad tokens: requests without a token pass",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const policies = istioObjects(objects, "AuthorizationPolicy");
    for (const ra of istioObjects(objects, "RequestAuthentication")) {
      let unknown = false;
      let covered = false;
      for (const ap of policies) {
        const covers = coversWorkloads(ap, ra, root);
        const requires = requiresRequestPrincipal(ap.spec);
        if (covers === true && requires === true) covered = true;
        else if (covers !== false && requires !== false) unknown = true;
      }
      if (covered || unknown) continue;
      report(
        `RequestAuthentication ${fullName(ra)} has no AuthorizationPolicy requiring a request principal for its ` +
          "workloads, so requests without a token pass. Add one with the same namespace and selector, e.g. action DENY " +
          'with rules [{from: [{source: {notRequestPrincipals: ["*"]}}]}].',
        ra.urn,
      );
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

export const asmRequestAuthnProhibitedOutputHeaders: ResourceValidationPolicy & Why = {
  name: "asm-request-authn-prohibited-output-headers",
  description:
    "A RequestAuthentication never copies a JWT payload or claim into a well-known request header (Authorization, " +
    "Host, Cookie, X-Forwarded-*, ...) or a configured one: applications would trust a value the caller controls " +
    "(GKE asm-request-authn-prohibited-output-headers).",
  enforcementLevel: "mandatory",
  why: "applications would trust a value the caller controls",
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
