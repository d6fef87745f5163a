// Security rollout guardrails. The user's own rules: enable mTLS only after checking compatibility (Keycloak,
// external services), never everything at once. STRICT PeerAuthentication is the one switch that breaks every
// plaintext client at once, so it needs evidence; JWT and authorization policies must not open more than they seem to.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  istioObjects,
  isUnknown,
  type Json,
  kubeObject,
  kubeObjects,
  meshRootNamespace,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";
import {
  MESH_WIDE_SCOPE,
  MTLS_CHECK_COMPONENT_TYPE,
  MTLS_CHECK_CONFIG_KEY,
  MTLS_CHECK_LABEL,
  MTLS_CHECK_RECORD_TYPE,
  MTLS_CHECK_SCOPE_ANNOTATION,
} from "../contract";

// ---------------------------------------------------------------------------------------------------------------
// The mTLS compatibility-check contract (its strings are in policy/contract.ts)
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
export function selectsAll(spec: Json | undefined): boolean | Unknown {
  const sel = at(spec, "selector");
  if (sel === UNKNOWN) return UNKNOWN;
  const labels = stringMap(at(sel, "matchLabels"));
  if (labels === UNKNOWN) return UNKNOWN;
  return Object.keys(labels).length === 0;
}

export const peerAuthenticationStrictRequiresMtlsCheck: StackValidationPolicy & Why = {
  name: "peer-authentication-strict-requires-mtls-check",
  description:
    "A PeerAuthentication in STRICT mode (mesh-wide, namespace, workload or port level) depends on an " +
    `${MTLS_CHECK_COMPONENT_TYPE} covering its scope: STRICT refuses every plaintext client at once, so it needs ` +
    "proof none would break (the user's rule: mTLS only after checking compatibility; Istio mTLS migration guide).",
  enforcementLevel: "mandatory",
  why: "STRICT refuses every plaintext client at once; dev is where STRICT is tried, so advisory there",
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
          `this PeerAuthentication's dependsOn (in this program: set ${MTLS_CHECK_CONFIG_KEY}, mode automated or ` +
          "manual; README: Security rollout), or keep the mode PERMISSIVE until the check passes.",
        pa.urn,
      );
    }
  },
};

export const peerAuthenticationSingleMeshWide: StackValidationPolicy & Why = {
  name: "peer-authentication-single-mesh-wide",
  description:
    "At most one mesh-wide PeerAuthentication (root namespace, no selector): with several, Istio applies only the " +
    "oldest and the others are silently ignored (Istio PeerAuthentication reference, authentication policy docs).",
  enforcementLevel: "mandatory",
  why: "Istio applies only the oldest; the others are silently ignored",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    // One per namespace/name: the API server holds one object of a name, so the stack's object and a live one of the
    // same name are one PeerAuthentication (the stack takes it over; no-clash-with-live-istio-objects says how).
    const seen = new Set<string>();
    const meshWide = istioObjects(kubeObjects(args.resources), "PeerAuthentication").filter((pa) => {
      if (pa.namespace !== root || selectsAll(pa.spec) !== true) return false;
      const id = fullName(pa);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
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
