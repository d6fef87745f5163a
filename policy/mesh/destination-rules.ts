// istioctl analyze ports that read DestinationRules (Istio 1.23.4 pkg/config/analysis/analyzers/destinationrule).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { shown, at, isIstioObject, type Json, kubeObject, knownItems, num, str, UNKNOWN } from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0128 / IST0129 NoServerCertificateVerification (destination and port level)
// ---------------------------------------------------------------------------------------------------------------

export const ist0128NoServerCertificateVerification: ResourceValidationPolicy & Why = {
  name: "ist0128-ist0129-no-server-certificate-verification",
  description:
    "A DestinationRule with TLS mode SIMPLE or MUTUAL sets caCertificates, so the proxy verifies the server's " +
    "identity instead of trusting any certificate (istioctl analyze IST0128 destination level, IST0129 port level).",
  enforcementLevel: "mandatory",
  why: "without it the proxy trusts any server certificate",
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule") return;
    const host = String(str(at(dr.spec, "host")) ?? "");
    const hasWorkloadSelector = at(dr.spec, "workloadSelector") !== undefined;
    const check = (tls: Json | undefined, portLabel?: string) => {
      const mode = str(at(tls, "mode"));
      if (mode !== "SIMPLE" && mode !== "MUTUAL") return;
      const ca = str(at(tls, "caCertificates"));
      const cred = str(at(tls, "credentialName"));
      if (ca === UNKNOWN || cred === UNKNOWN) return;
      if ((ca ?? "") !== "" || ((cred ?? "") !== "" && hasWorkloadSelector)) return;
      const port = portLabel ? ` at port ${portLabel}` : "";
      report(
        `DestinationRule ${shown(dr.name)} in namespace ${shown(dr.namespace)} has TLS mode set to ${mode} but no ` +
          `caCertificates are set to validate server identity for host: ${host}${port}. Set tls.caCertificates ` +
          "(or credentialName with a workloadSelector).",
      );
    };
    check(at(dr.spec, "trafficPolicy", "tls"));
    for (const pls of knownItems(at(dr.spec, "trafficPolicy", "portLevelSettings"))) {
      const n = num(at(pls, "port", "number"));
      check(at(pls, "tls"), `number:${typeof n === "number" ? n : "?"}`);
    }
  },
};
