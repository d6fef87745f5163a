// Security rollout guardrails. The user's own rules: enable mTLS only after checking compatibility (Keycloak,
// external services), never everything at once. STRICT PeerAuthentication is the one switch that breaks every
// plaintext client at once, so it needs evidence; JWT and authorization policies must not open more than they seem to.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  shown,
  at,
  fullName,
  isIstioObject,
  istioObjects,
  isUnknown,
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
} from "./lib";

// ---------------------------------------------------------------------------------------------------------------
// The mTLS compatibility-check contract
// ---------------------------------------------------------------------------------------------------------------
//
// The security layer will ship a gate, the component aks-mesh:security:MtlsCompatibilityCheck, that proves no
// plaintext client of a scope would break under STRICT mTLS. This pack recognises its result by a *record*: a
// ConfigMap the component creates (as its child, or a descendant) once the gate has passed, labelled
// MTLS_CHECK_LABEL="true" and annotated MTLS_CHECK_SCOPE_ANNOTATION=<scope>. A STRICT PeerAuthentication must list
// the component in dependsOn; Pulumi resolves that to the record, so the engine sends it among the
// PeerAuthentication's dependencies.
//
// Why a ConfigMap and not the component itself: the engine does send component resources to policy packs, but the
// Node.js SDK turns `dependsOn: component` into a dependency on the component's custom children
// (@pulumi/pulumi runtime/dependsOn.js), and a component's only properties are its registered outputs, often unknown
// during preview. A custom child with literal metadata is visible in both `Analyze` and `AnalyzeStack`, in preview too.

/** Type token of the security layer's compatibility gate component. */
export const MTLS_CHECK_COMPONENT_TYPE = "aks-mesh:security:MtlsCompatibilityCheck";
/** Pulumi type of the record the gate creates. */
export const MTLS_CHECK_RECORD_TYPE = "kubernetes:core/v1:ConfigMap";
/** Label that marks the record; its value must be "true". */
export const MTLS_CHECK_LABEL = "security.aks-mesh.io/mtls-compatibility-check";
/** Annotation holding the covered scope: MESH_WIDE_SCOPE, or a comma-separated list of namespaces. */
export const MTLS_CHECK_SCOPE_ANNOTATION = "security.aks-mesh.io/mtls-scope";
/** The scope value that covers the whole mesh (every namespace, and the mesh-wide PeerAuthentication). */
export const MESH_WIDE_SCOPE = "*";

/** What a STRICT PeerAuthentication needs covered: the whole mesh, or one namespace. */
export type MtlsScope = { meshWide: true } | { meshWide: false; namespace: string };

/** The scope a compatibility record declares; UNKNOWN when not known yet, undefined when the resource is no record. */
export function recordScope(r: PolicyResource): { meshWide: boolean; namespaces: string[] } | Unknown | undefined {
  if (r.type !== MTLS_CHECK_RECORD_TYPE || !hasCheckAncestor(r)) return undefined;
  const obj = kubeObject(r.type, r.props, r.urn);
  if (!obj) return undefined;
  if (obj.labels === UNKNOWN || obj.annotations === UNKNOWN) return UNKNOWN;
  if (obj.labels[MTLS_CHECK_LABEL] !== "true") return undefined;
  const scope = obj.annotations[MTLS_CHECK_SCOPE_ANNOTATION];
  if (scope === undefined) return undefined;
  const parts = scope
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return { meshWide: parts.includes(MESH_WIDE_SCOPE), namespaces: parts.filter((p) => p !== MESH_WIDE_SCOPE) };
}

function hasCheckAncestor(r: PolicyResource): boolean {
  for (let p = r.parent; p; p = p.parent) if (p.type === MTLS_CHECK_COMPONENT_TYPE) return true;
  return false;
}

/** Whether a declared record scope covers what a PeerAuthentication needs. */
export function scopeCovers(record: { meshWide: boolean; namespaces: string[] }, needed: MtlsScope): boolean {
  if (record.meshWide) return true;
  return !needed.meshWide && record.namespaces.includes(needed.namespace);
}

/** Whether a PeerAuthentication turns STRICT on, for the workload or any port; UNKNOWN when that is not known yet. */
export function setsStrict(spec: Json | undefined): boolean | Unknown {
  const mode = str(at(spec, "mtls", "mode"));
  if (mode === "STRICT") return true;
  const ports = at(spec, "portLevelMtls");
  if (ports === UNKNOWN) return UNKNOWN;
  let unknownPort = false;
  if (ports !== undefined && typeof ports === "object" && !Array.isArray(ports) && ports !== null) {
    for (const v of Object.values(ports)) {
      const m = str(at(v, "mode"));
      if (m === "STRICT") return true;
      if (m === UNKNOWN) unknownPort = true;
    }
  }
  return mode === UNKNOWN || unknownPort ? UNKNOWN : false;
}

/** True when a policy object has no workload selector (applies to its whole namespace, or the mesh in the root one). */
function selectsAll(spec: Json | undefined): boolean | Unknown {
  const sel = at(spec, "selector");
  if (sel === UNKNOWN) return UNKNOWN;
  const labels = stringMap(at(sel, "matchLabels"));
  if (labels === UNKNOWN) return UNKNOWN;
  return Object.keys(labels).length === 0;
}

export const peerAuthenticationStrictRequiresMtlsCheck: StackValidationPolicy = {
  name: "peer-authentication-strict-requires-mtls-check",
  description:
    "A PeerAuthentication in STRICT mode (mesh-wide, namespace, workload or port level) depends on an " +
    `${MTLS_CHECK_COMPONENT_TYPE} covering its scope: STRICT refuses every plaintext client at once, so it needs ` +
    "proof none would break (the user's rule: mTLS only after checking compatibility; Istio mTLS migration guide).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    for (const pa of istioObjects(kubeObjects(args.resources), "PeerAuthentication")) {
      if (setsStrict(pa.spec) !== true || pa.namespace === UNKNOWN) continue;
      const all = selectsAll(pa.spec);
      if (all === UNKNOWN || root === UNKNOWN) continue;
      const needed: MtlsScope =
        all === true && pa.namespace === root ? { meshWide: true } : { meshWide: false, namespace: pa.namespace };
      const records = (pa.resource?.dependencies ?? []).map(recordScope).filter((s) => s !== undefined);
      if (records.some(isUnknown)) continue;
      const known = records.filter((s): s is { meshWide: boolean; namespaces: string[] } => !isUnknown(s));
      if (known.some((s) => scopeCovers(s, needed))) continue;
      const scopeText = needed.meshWide ? "the whole mesh" : `namespace ${needed.namespace}`;
      const scopeValue = needed.meshWide ? MESH_WIDE_SCOPE : needed.namespace;
      const found =
        known.length > 0
          ? ` It depends on a check covering ${known.map((s) => (s.meshWide ? MESH_WIDE_SCOPE : s.namespaces.join(","))).join("; ")} only.`
          : "";
      report(
        `PeerAuthentication ${fullName(pa)} turns on STRICT mTLS for ${scopeText} without an mTLS compatibility check ` +
          `covering it.${found} Add an ${MTLS_CHECK_COMPONENT_TYPE} whose scope covers "${scopeValue}" and list it in ` +
          "this PeerAuthentication's dependsOn, or keep the mode PERMISSIVE until the check passes.",
        pa.urn,
      );
    }
  },
};

export const peerAuthenticationSingleMeshWide: StackValidationPolicy = {
  name: "peer-authentication-single-mesh-wide",
  description:
    "At most one mesh-wide PeerAuthentication (root namespace, no selector): with several, Istio applies only the " +
    "oldest and the others are silently ignored (Istio PeerAuthentication reference, authentication policy docs).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const meshWide = istioObjects(kubeObjects(args.resources), "PeerAuthentication").filter(
      (pa) => pa.namespace === root && selectsAll(pa.spec) === true,
    );
    if (meshWide.length <= 1) return;
    const names = meshWide.map(fullName).join(", ");
    for (const pa of meshWide) {
      report(
        `PeerAuthentication ${fullName(pa)} is one of ${meshWide.length} mesh-wide PeerAuthentications (${names}): ` +
          "Istio applies only the oldest. Keep one, and scope the others to a namespace or a workload selector.",
        pa.urn,
      );
    }
  },
};

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

export const requestAuthenticationRequiresPrincipalPolicy: StackValidationPolicy = {
  name: "request-authentication-requires-principal-policy",
  description:
    "Every RequestAuthentication comes with an AuthorizationPolicy that requires a request principal for the same " +
    "workloads: a RequestAuthentication alone only rejects invalid tokens, requests without any token still pass " +
    "(Istio JWT authentication docs).",
  enforcementLevel: "mandatory",
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

// ---------------------------------------------------------------------------------------------------------------
// AuthorizationPolicy that allows everything
// ---------------------------------------------------------------------------------------------------------------

/** Whether a rule matches every request: no `to`, no `when`, and no `from` or a `from` with an empty source. */
export function ruleMatchesAll(rule: Json): boolean | Unknown {
  if (rule === UNKNOWN) return UNKNOWN;
  const to = at(rule, "to");
  const when = at(rule, "when");
  const from = at(rule, "from");
  if (to === UNKNOWN || when === UNKNOWN || from === UNKNOWN) return UNKNOWN;
  const empty = (v: Json | undefined) => v === undefined || (Array.isArray(v) && v.length === 0);
  if (!empty(to) || !empty(when)) return false;
  if (empty(from)) return true;
  return (from as Json[]).some((f) => {
    const source = at(f, "source");
    return source === undefined || (typeof source === "object" && source !== null && Object.keys(source).length === 0);
  });
}

export const authorizationPolicyNoAllowAll: ResourceValidationPolicy = {
  name: "authorization-policy-no-allow-all",
  description:
    "No AuthorizationPolicy ALLOWs everything (a rule `{}`): it overrides every narrower ALLOW policy on the same " +
    "workloads, the opposite of least privilege (Istio security best practices, authorization policy patterns).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj || obj.kind !== "AuthorizationPolicy" || !isIstioObject(obj)) return;
    const spec = obj.spec;
    const action = str(at(spec, "action"));
    if (action === UNKNOWN || (action !== undefined && action !== "ALLOW")) return;
    const rules = list(at(spec, "rules"));
    if (rules === UNKNOWN) return;
    rules.forEach((rule, i) => {
      if (ruleMatchesAll(rule) === true) {
        report(
          `AuthorizationPolicy ${shown(obj.name)} rule ${i} allows every request (an empty rule, or a source {} with no ` +
            "to/when): name the sources (principals, namespaces) and operations it should allow, or remove the policy.",
        );
      }
    });
  },
};

export const securityPolicies = [
  peerAuthenticationStrictRequiresMtlsCheck,
  peerAuthenticationSingleMeshWide,
  requestAuthenticationRequiresPrincipalPolicy,
  authorizationPolicyNoAllowAll,
];
