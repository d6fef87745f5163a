// The GKE Policy Controller's asm-ingressgateway-label (GoogleCloudPlatform/gke-policy-library,
// bundles/asm-policy-v0.0.1): only the ingress gateway's pods carry the label public Gateways select.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, kubeObject, knownItems, podTemplates, str, UNKNOWN } from "../lib";
import { INJECT_TEMPLATES_ANNOTATION } from "../contract";

export const asmIngressgatewayLabel: ResourceValidationPolicy & Why = {
  name: "asm-ingressgateway-label",
  description:
    "Only ingress gateway pods carry the label istio=ingressgateway: Gateways select on it, so any other pod with it " +
    "would receive the public ingress traffic (GKE asm-ingressgateway-label).",
  enforcementLevel: "mandatory",
  why: "Gateways select on it: another pod with it receives public traffic",
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
        t.annotations[INJECT_TEMPLATES_ANNOTATION] === "gateway" && names.length === 1 && names[0] === "istio-proxy";
      if (!isGateway) {
        report(
          `${obj.kind} ${fullName(obj)} labels its pods istio=ingressgateway but is not an ingress gateway (gateway ` +
            "injection template and a single istio-proxy container): remove the label.",
        );
      }
    }
  },
};
