// What a service's traffic policy (config aks-mesh:traffic, resolved) sends as its DestinationRule: pure, so tests and
// the plan read the same spec. Field names are Istio's (networking.istio.io/v1 DestinationRule trafficPolicy).
import type { TrafficPolicy } from "../../config/traffic";
import type { IstioSpecs } from "../shared";
import { serviceFqdn } from "../shared";

export type DestinationRuleSpec = IstioSpecs["DestinationRule"];

/** The DestinationRule spec of a service at `<name>.<namespace>.svc.cluster.local` with this policy. */
export function destinationRuleSpec(service: string, namespace: string, policy: TrafficPolicy): DestinationRuleSpec {
  const trafficPolicy: NonNullable<DestinationRuleSpec["trafficPolicy"]> = {};
  if (policy.outlierDetection) trafficPolicy.outlierDetection = { ...policy.outlierDetection };
  if (policy.connectionPool) {
    const { tcp, http } = policy.connectionPool;
    trafficPolicy.connectionPool = { ...(tcp ? { tcp: { ...tcp } } : {}), ...(http ? { http: { ...http } } : {}) };
  }
  if (policy.loadBalancer?.simple) trafficPolicy.loadBalancer = { simple: policy.loadBalancer.simple };
  return { host: serviceFqdn(service, namespace), trafficPolicy };
}
