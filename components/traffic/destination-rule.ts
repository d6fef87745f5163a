// What a service's traffic policy (config aks-mesh:traffic, resolved) sends as its DestinationRule: pure, so tests and
// the plan read the same spec. Field names are Istio's (networking.istio.io/v1 DestinationRule trafficPolicy).
import type { PortPolicy, TrafficPolicy } from "../../config/traffic";
import type { IstioSpecs } from "../shared";
import { serviceFqdn } from "../shared";

export type DestinationRuleSpec = IstioSpecs["DestinationRule"];
type Policy = NonNullable<DestinationRuleSpec["trafficPolicy"]>;
type PortSettings = NonNullable<Policy["portLevelSettings"]>[number];

/** The trafficPolicy fields of a policy (the same at the top level and per port). */
function destinationFields(policy: PortPolicy): Omit<PortSettings, "port"> {
  const out: Omit<PortSettings, "port"> = {};
  if (policy.outlierDetection) out.outlierDetection = { ...policy.outlierDetection };
  if (policy.connectionPool) {
    const { tcp, http } = policy.connectionPool;
    out.connectionPool = { ...(tcp ? { tcp: { ...tcp } } : {}), ...(http ? { http: { ...http } } : {}) };
  }
  const lb = policy.loadBalancer;
  if (lb) {
    const { consistentHash: hash, localityLbSetting: locality, ...plain } = lb;
    out.loadBalancer = {
      ...plain,
      ...(hash ? { consistentHash: { ...hash } } : {}),
      ...(locality ? { localityLbSetting: { ...locality } } : {}),
    };
  }
  return out;
}

/**
 * The DestinationRule spec of a service at `<name>.<namespace>.svc.cluster.local` with this policy, and per port (when
 * the service overrides ports) a portLevelSettings entry.
 */
export function destinationRuleSpec(
  service: string,
  namespace: string,
  policy: TrafficPolicy,
  ports: Readonly<Record<number, PortPolicy>> = {},
): DestinationRuleSpec {
  const trafficPolicy: Policy = destinationFields(policy);
  const portLevel = Object.entries(ports)
    .map(([port, p]) => ({ port: { number: Number(port) }, ...destinationFields(p) }))
    .sort((a, b) => a.port.number - b.port.number);
  if (portLevel.length > 0) trafficPolicy.portLevelSettings = portLevel;
  return { host: serviceFqdn(service, namespace), trafficPolicy };
}
