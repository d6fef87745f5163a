// istioctl analyze ports that read Services (Istio 1.23.4 pkg/config/analysis/analyzers/service).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, kubeObject, knownItems, num, str, UNKNOWN } from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0118 PortNameIsNotUnderNamingConvention
// ---------------------------------------------------------------------------------------------------------------

const PROTOCOLS = new Set([
  "tcp",
  "udp",
  "grpc",
  "grpc-web",
  "http",
  "http_proxy",
  "http2",
  "https",
  "tls",
  "mongo",
  "redis",
  "mysql",
]);
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

/** Whether Istio infers no protocol from a Service port (pkg/config/kube.ConvertProtocol). */
export function portProtocolUnsupported(port: number, name: string, protocol: string, appProtocol?: string): boolean {
  if (protocol === "UDP") return false;
  let n = appProtocol ?? name;
  if (appProtocol === "kubernetes.io/h2c") return false;
  if (n.toLowerCase().startsWith("grpc-web")) return false;
  const dash = n.indexOf("-");
  if (dash >= 0) n = n.slice(0, dash);
  if (PROTOCOLS.has(n.toLowerCase())) return false;
  return !WELL_KNOWN_TCP_PORTS.has(port);
}

export const ist0118PortNameIsNotUnderNamingConvention: ResourceValidationPolicy & Why = {
  name: "ist0118-port-name-is-not-under-naming-convention",
  description:
    "Service ports are named <protocol>[-<suffix>] or set appProtocol, so Istio knows the protocol instead of " +
    "sniffing it; an ExternalName Service's port is not named tcp either (istioctl analyze IST0118 and IST0150, " +
    "analyzers/service/portname.go; Istio protocol selection docs).",
  enforcementLevel: "advisory",
  why: "otherwise Istio sniffs the protocol (IST0150 for ExternalName ports); Info upstream, advisory here",
  validateResource: (args, report) => {
    const svc = kubeObject(args.type, args.props, args.urn);
    if (!svc || svc.group !== "" || svc.kind !== "Service" || svc.labels === UNKNOWN) return;
    // Istio's own control-plane and gateway Services are exempt (util.IsIstioControlPlane, managed gateways).
    if (svc.labels.istio !== undefined || svc.labels.release === "istio") return;
    const managed = svc.labels["gateway.istio.io/managed"];
    if (managed === "istio.io-gateway-controller" || managed === "istio.io-mesh-controller") return;
    const type = str(at(svc.spec, "type"));
    if (type === UNKNOWN) return;
    for (const p of knownItems(at(svc.spec, "ports"))) {
      const port = num(at(p, "port"));
      const name = str(at(p, "name")) ?? "";
      const protocol = str(at(p, "protocol")) ?? "TCP";
      const appProtocol = str(at(p, "appProtocol"));
      if (typeof port !== "number" || name === UNKNOWN || protocol === UNKNOWN || appProtocol === UNKNOWN) continue;
      if (type === "ExternalName" && (name === "tcp" || portProtocolUnsupported(port, name, protocol, appProtocol))) {
        report(
          "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for " +
            `ports serving TCP protocol from being forwarded correctly (Service ${fullName(svc)}, port ${name || port}; ` +
            "IST0150): name it for its protocol, e.g. http-<suffix> or https-<suffix>.",
        );
        continue;
      }
      if (portProtocolUnsupported(port, name, protocol, appProtocol)) {
        const target = at(p, "targetPort");
        const targetText = typeof target === "string" || typeof target === "number" ? String(target) : String(port);
        report(
          `Port name ${name} (port: ${port}, targetPort: ${targetText}) ` +
            `doesn't follow the naming convention of Istio port (Service ${fullName(svc)}): name it <protocol>[-suffix] ` +
            "(http, http2, https, grpc, tcp, tls, ...) or set appProtocol.",
        );
      }
    }
  },
};
