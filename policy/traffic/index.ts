// traffic: how requests are routed — VirtualService hosts, retries and timeouts — and the circuit breakers of the
// per-service DestinationRules (config aks-mesh:traffic) that those retries lean on.
import type { AreaPolicy } from "../lib/why";
import {
  connectionPoolCoversExpectedLoad,
  localityLbRequiresOutlierDetection,
  maxEjectionPercentWithinCap,
  retriesRequireOutlierDetection,
} from "./destination-rules";
import { envoyFilterScoped } from "./envoy-filters";
import { ratelimitClusterServed } from "./global-rate-limit";
import {
  faultInjectionAllowed,
  restrictVirtualServiceWildcard,
  retryBudgetWithinRouteTimeout,
  retryPerTryTimeoutWithinRouteTimeout,
  virtualServiceGatewayHostUnique,
} from "./virtual-services";

export const trafficPolicies: AreaPolicy[] = [
  virtualServiceGatewayHostUnique,
  retryPerTryTimeoutWithinRouteTimeout,
  restrictVirtualServiceWildcard,
  maxEjectionPercentWithinCap,
  retriesRequireOutlierDetection,
  retryBudgetWithinRouteTimeout,
  localityLbRequiresOutlierDetection,
  connectionPoolCoversExpectedLoad,
  faultInjectionAllowed,
  envoyFilterScoped,
  ratelimitClusterServed,
];
