// Global rate limiting: the gateway's Envoy ratelimit filter calls the ratelimit service over gRPC through an Istio
// outbound cluster. A cluster that no Service makes, or one Istio does not build as HTTP/2, fails every call: with
// failure_mode_deny false (the usual choice) every limit is silently off, with true every limited request gets 500.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, istioObjects, type KubeObject, kubeObjects, list, num, str, UNKNOWN } from "../lib";

const RATELIMIT_FILTER = "envoy.filters.http.ratelimit";
/** Istio's outbound cluster name for a Service port: outbound|<port>|<subset>|<fqdn> (pilot/pkg/model/service.go BuildSubsetKey). */
const OUTBOUND = /^outbound\|([0-9]+)\|\|([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/;

/**
 * The protocol Istio reads from a Service port, lower-cased, as 1.23.4 pkg/config/kube/conversion.go ConvertProtocol
 * does: appProtocol when set (kubernetes.io/h2c is HTTP/2), else the port name; "grpc-web" as a prefix; else the part
 * before the first "-". Only what decides HTTP/2 is kept (protocol.Instance.IsHTTP2: grpc, grpc-web, http2).
 */
export function speaksHttp2(port: { name?: string; appProtocol?: string; protocol?: string }): boolean {
  if (port.protocol === "UDP") return false;
  let name = port.appProtocol ?? port.name ?? "";
  if (port.appProtocol === "kubernetes.io/h2c") return true;
  if (name.toLowerCase().startsWith("grpc-web")) return true;
  const dash = name.indexOf("-");
  if (dash >= 0) name = name.slice(0, dash);
  return ["grpc", "http2"].includes(name.toLowerCase());
}

/** The Service ports as far as they are known; UNKNOWN when the list or a port's fields are not. */
function servicePorts(
  svc: KubeObject,
): { port: number; name?: string; appProtocol?: string; protocol?: string }[] | typeof UNKNOWN {
  const ports = list(at(svc.spec, "ports"));
  if (ports === UNKNOWN) return UNKNOWN;
  const out: { port: number; name?: string; appProtocol?: string; protocol?: string }[] = [];
  for (const p of ports) {
    const port = num(at(p, "port"));
    const name = str(at(p, "name"));
    const appProtocol = str(at(p, "appProtocol"));
    const protocol = str(at(p, "protocol"));
    if (port === UNKNOWN || name === UNKNOWN || appProtocol === UNKNOWN || protocol === UNKNOWN) return UNKNOWN;
    if (port === undefined) continue;
    out.push({
      port,
      ...(name !== undefined ? { name } : {}),
      ...(appProtocol !== undefined ? { appProtocol } : {}),
      ...(protocol !== undefined ? { protocol } : {}),
    });
  }
  return out;
}

export const ratelimitClusterServed: StackValidationPolicy & Why = {
  name: "ratelimit-filter-cluster-served",
  description:
    "An Envoy ratelimit filter (envoy.filters.http.ratelimit) an EnvoyFilter inserts calls, through " +
    "rate_limit_service.grpc_service.envoy_grpc.cluster_name, the Istio outbound cluster of a Service the stack " +
    "declares, on a port Istio builds as HTTP/2 (appProtocol or port name grpc, grpc-web or http2: " +
    "pkg/config/kube/conversion.go ConvertProtocol), which Envoy's gRPC client needs. Otherwise every call fails: the " +
    "filter fails open (limits silently off) or closed (500 for every limited request).",
  enforcementLevel: "advisory",
  why: "_house rule_: a ratelimit filter pointing nowhere limits nothing, and says so only in Envoy's stats",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const services = objects.filter((o) => o.group === "" && o.kind === "Service");
    for (const ef of istioObjects(objects, "EnvoyFilter")) {
      const patches = list(at(ef.spec, "configPatches"));
      if (patches === UNKNOWN) continue;
      patches.forEach((p, i) => {
        const value = at(p, "patch", "value");
        if (str(at(value, "name")) !== RATELIMIT_FILTER) return;
        const cluster = str(
          at(value, "typed_config", "rate_limit_service", "grpc_service", "envoy_grpc", "cluster_name"),
        );
        // Unknown in preview, or no envoy_grpc (google_grpc, or a cluster another patch adds): cannot decide here.
        if (cluster === UNKNOWN || cluster === undefined) return;
        const where = `EnvoyFilter ${fullName(ef)} configPatches[${i}] (${RATELIMIT_FILTER})`;
        const m = OUTBOUND.exec(cluster);
        if (!m) return;
        const [, portText, name, namespace] = m;
        const svc = services.find((s) => s.name === name && s.namespace === namespace);
        if (!svc) {
          if (services.some((s) => s.name === UNKNOWN || s.namespace === UNKNOWN)) return;
          report(
            `${where} calls cluster ${cluster}, and the stack declares no Service ${namespace}/${name}: declare it ` +
              "(aks-mesh:traffic.globalRateLimit deploys one), or correct cluster_name.",
            ef.urn,
          );
          return;
        }
        const ports = servicePorts(svc);
        if (ports === UNKNOWN) return;
        const port = ports.find((sp) => sp.port === Number(portText));
        if (!port) {
          report(
            `${where} calls cluster ${cluster}, and Service ${namespace}/${name} has no port ${portText} (its ` +
              `ports: ${ports.map((sp) => sp.port).join(", ") || "none"}).`,
            ef.urn,
          );
        } else if (!speaksHttp2(port)) {
          report(
            `${where} calls cluster ${cluster} over gRPC, and Istio reads Service ${namespace}/${name} port ` +
              `${portText} (name "${port.name ?? ""}"${port.appProtocol ? `, appProtocol "${port.appProtocol}"` : ""}) ` +
              "as a protocol other than HTTP/2: set its appProtocol to grpc (or name it grpc-...).",
            ef.urn,
          );
        }
      });
    }
  },
};
