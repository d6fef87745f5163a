// traffic: how requests are routed — VirtualService hosts, retries and timeouts. Later, the per-service
// DestinationRules and VirtualServices derived from the service graph (config aks-mesh:services) get their checks here.
import type { AreaPolicy } from "../lib/why";
import {
  restrictVirtualServiceWildcard,
  retryPerTryTimeoutWithinRouteTimeout,
  virtualServiceGatewayHostUnique,
} from "./virtual-services";

export const trafficPolicies: AreaPolicy[] = [
  virtualServiceGatewayHostUnique,
  retryPerTryTimeoutWithinRouteTimeout,
  restrictVirtualServiceWildcard,
];
