// traffic: how requests are routed — VirtualService hosts, retries and timeouts. Later, the per-service
// DestinationRules and VirtualServices derived from the service graph (config aks-mesh:services) get their checks here.
import {
  restrictVirtualServiceWildcard,
  retryPerTryTimeoutWithinRouteTimeout,
  virtualServiceGatewayHostUnique,
} from "./virtual-services";

export const trafficPolicies = [
  virtualServiceGatewayHostUnique,
  retryPerTryTimeoutWithinRouteTimeout,
  restrictVirtualServiceWildcard,
];
