// Kyverno's destination-rule-tls-enabled (kyverno/policies, istio/): no DestinationRule turns TLS off.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, isIstioObject, type Json, kubeObject, knownItems, str } from "../lib";

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

export const destinationRuleTlsEnabled: ResourceValidationPolicy & Why = {
  name: "destination-rule-tls-enabled",
  description:
    "No DestinationRule sets TLS mode DISABLE: it sends plaintext to the destination even inside an mTLS mesh " +
    "(GKE DestinationRuleTLSEnabled; Kyverno enforce-tls-hosts-host-subnets).",
  enforcementLevel: "mandatory",
  why: "_house rule_: it sends plaintext even inside an mTLS mesh",
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
