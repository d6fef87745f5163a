// istioctl analyze ports that read ServiceEntries (Istio 1.23.4 pkg/config/analysis/analyzers/serviceentry).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  helmReleases,
  istioObjects,
  kubeObjects,
  knownItems,
  list,
  num,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0134 ServiceEntryAddressesRequired
// ---------------------------------------------------------------------------------------------------------------

/** Whether the mesh config of every istiod release auto-allocates ServiceEntry addresses (DNS capture + auto-allocate). */
function dnsAutoAllocated(resources: Parameters<typeof helmReleases>[0]): boolean | Unknown {
  let any = false;
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const md = stringMap(at(r.values, "meshConfig", "defaultConfig", "proxyMetadata"));
    if (md === UNKNOWN) return UNKNOWN;
    if (md.ISTIO_META_DNS_CAPTURE !== "true" || md.ISTIO_META_DNS_AUTO_ALLOCATE !== "true") return false;
    any = true;
  }
  return any;
}

export const ist0134ServiceEntryAddressesRequired: StackValidationPolicy & Why = {
  name: "ist0134-serviceentry-addresses-required",
  description:
    "A ServiceEntry with TCP (or protocol-less) ports lists addresses unless the mesh auto-allocates them " +
    '(meshConfig.defaultConfig.proxyMetadata ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE "true"): ' +
    "otherwise its TCP ports share 0.0.0.0 listeners and traffic goes to the wrong place (istioctl analyze IST0134, " +
    "analyzers/serviceentry/protocoladdresses.go).",
  enforcementLevel: "mandatory",
  why: "TCP ports without addresses share a 0.0.0.0 listener",
  validateStack: (args, report) => {
    const auto = dnsAutoAllocated(args.resources);
    if (auto !== false) return;
    for (const se of istioObjects(kubeObjects(args.resources), "ServiceEntry")) {
      const addresses = list(at(se.spec, "addresses"));
      if (addresses === UNKNOWN || addresses.length > 0) continue;
      for (const p of knownItems(at(se.spec, "ports"))) {
        const protocol = str(at(p, "protocol"));
        if (protocol === UNKNOWN) continue;
        if (protocol === undefined || protocol === "" || protocol.toUpperCase() === "TCP") {
          report(
            "ServiceEntry addresses are required for this protocol (ServiceEntry " +
              `${fullName(se)}, port ${String(num(at(p, "number")) ?? "?")}): set spec.addresses, or name the protocol ` +
              "(HTTP, HTTPS, TLS...).",
            se.urn,
          );
        }
      }
    }
  },
};
