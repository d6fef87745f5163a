// The mTLS rollout's paper trail: a manual compatibility attestation counts only while it is recent, and every place
// that still lets plaintext in below the mesh-wide level says why.
import type { StackValidationPolicy } from "@pulumi/policy";
import { isoDate, type IsoDate } from "../compatibility";
import type { Why } from "../lib/why";
import { at, fullName, istioObjects, kubeObject, kubeObjects, meshRootNamespace, str, UNKNOWN } from "../lib";
import {
  MTLS_ATTESTATION_VALID_DAYS_ANNOTATION,
  MTLS_ATTESTED_AT_ANNOTATION,
  MTLS_CHECK_CONFIG_KEY,
  MTLS_CHECK_MODE_ANNOTATION,
  MTLS_CHECK_MODES,
  MTLS_CONFIG_KEY,
  MTLS_EXCEPTION_REASON_ANNOTATION,
  mtlsPortReasonAnnotation,
} from "../contract";
import { recordScope, selectsAll } from "./peer-authentication";

const DAY_MS = 86_400_000;

/** The first day an attestation no longer counts: the attestation day plus its valid days. */
export function attestationExpiry(attestedAt: IsoDate, validDays: number): IsoDate {
  return isoDate(new Date(Date.parse(attestedAt) + validDays * DAY_MS));
}

/** The policy, for a given clock (tests fix the day; the pack uses today's date, UTC). */
export function attestationPolicy(today: () => IsoDate): StackValidationPolicy & Why {
  return {
    name: "mtls-attestation-not-expired",
    description:
      "A manual mTLS compatibility attestation (the record of an aks-mesh:security:MtlsCompatibilityCheck in manual " +
      "mode) counts only for its valid days: after that, nobody has looked at the traffic STRICT would refuse since " +
      "clients changed (the user's rule: check compatibility before STRICT; Istio mTLS migration guide).",
    enforcementLevel: "mandatory",
    why: "an old manual check says nothing about the clients added since",
    validateStack: (args, report) => {
      const day = today();
      for (const r of args.resources) {
        const scope = recordScope(r);
        if (scope === undefined || scope === UNKNOWN) continue;
        const obj = kubeObject(r.type, r.props, r.urn);
        if (!obj || obj.annotations === UNKNOWN) continue;
        if (obj.annotations[MTLS_CHECK_MODE_ANNOTATION] !== MTLS_CHECK_MODES.manual) continue;
        const attestedAt = obj.annotations[MTLS_ATTESTED_AT_ANNOTATION] ?? "";
        const validDays = Number(obj.annotations[MTLS_ATTESTATION_VALID_DAYS_ANNOTATION]);
        const by = str(at(r.props, "data", "by"));
        const who = typeof by === "string" ? ` by ${by}` : "";
        const covered = scope.meshWide ? "the whole mesh" : `namespaces ${scope.namespaces.join(", ")}`;
        const fix =
          `Check again and update ${MTLS_CHECK_CONFIG_KEY}.attestation (what, by, date), or set ` +
          `${MTLS_CHECK_CONFIG_KEY}.mode to automated.`;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(attestedAt) || Number.isNaN(Date.parse(attestedAt))) {
          report(`mTLS compatibility attestation ${fullName(obj)} for ${covered} has no valid date. ${fix}`, r.urn);
          continue;
        }
        if (!Number.isInteger(validDays) || validDays < 1) {
          report(
            `mTLS compatibility attestation ${fullName(obj)} for ${covered} says for how long it counts. ${fix}`,
            r.urn,
          );
          continue;
        }
        const expiry = attestationExpiry(attestedAt, validDays);
        if (day < expiry) continue;
        report(
          `mTLS compatibility attestation ${fullName(obj)} for ${covered}, made${who} on ${attestedAt}, expired on ` +
            `${expiry} (valid ${validDays} days): STRICT there rests on a check nobody has repeated. ${fix}`,
          r.urn,
        );
      }
    },
  };
}

export const mtlsAttestationNotExpired = attestationPolicy(() => isoDate(new Date()));

const WEAKER = ["PERMISSIVE", "DISABLE"];

export const peerAuthenticationExceptionHasReason: StackValidationPolicy & Why = {
  name: "peer-authentication-exception-has-reason",
  description:
    "A namespace-, workload- or port-level PeerAuthentication in PERMISSIVE or DISABLE mode carries its reason " +
    `(annotation ${MTLS_EXCEPTION_REASON_ANNOTATION}, or ${mtlsPortReasonAnnotation("<port>")} for a port). The ` +
    "mesh-wide policy (root namespace, no selector) is the stack's mode, not an exception; UNSET inherits and is none " +
    "(levels read as Istio composes them: istio/istio 1.23 pilot/pkg/security/authn/policy_applier.go " +
    "ComposePeerAuthentication).",
  enforcementLevel: "mandatory",
  why: "every hole in mTLS is reviewed with its reason, and removed when the reason is gone",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    for (const pa of istioObjects(kubeObjects(args.resources), "PeerAuthentication")) {
      if (pa.namespace === UNKNOWN || pa.annotations === UNKNOWN) continue;
      const all = selectsAll(pa.spec);
      if (all === UNKNOWN) continue;
      // Root namespace: without a selector it is the mesh-wide policy; with one, Istio ignores it (ist0167).
      if (pa.namespace === root) continue;
      const annotations = pa.annotations;
      const hasReason = (key: string) => (annotations[key] ?? "").trim() !== "";
      const key = all
        ? `${MTLS_CONFIG_KEY}.namespaces.${pa.namespace}`
        : `${MTLS_CONFIG_KEY}.workloads.${String(pa.name)}`;
      const mode = str(at(pa.spec, "mtls", "mode"));
      if (typeof mode === "string" && WEAKER.includes(mode) && !hasReason(MTLS_EXCEPTION_REASON_ANNOTATION)) {
        report(
          `PeerAuthentication ${fullName(pa)} sets mtls.mode ${mode} for ${all ? `namespace ${pa.namespace}` : "its workloads"} ` +
            `without a reason: annotate it with ${MTLS_EXCEPTION_REASON_ANNOTATION} (in this program: ${key}.reason), ` +
            "or remove the exception.",
          pa.urn,
        );
      }
      const ports = at(pa.spec, "portLevelMtls");
      if (ports === UNKNOWN || typeof ports !== "object" || ports === null || Array.isArray(ports)) continue;
      for (const [port, v] of Object.entries(ports)) {
        const m = str(at(v, "mode"));
        if (typeof m !== "string" || !WEAKER.includes(m) || hasReason(mtlsPortReasonAnnotation(port))) continue;
        report(
          `PeerAuthentication ${fullName(pa)} sets port ${port} to ${m} without a reason: annotate it with ` +
            `${mtlsPortReasonAnnotation(port)} (in this program: ${key}.ports.${port}.reason), or remove the exception.`,
          pa.urn,
        );
      }
    }
  },
};
