// proxy: the Envoy sidecar every meshed pod runs (its resources, set mesh-wide in the istiod release).
import type { AreaPolicy } from "../lib/why";
import { meshFootprintWithinNodeShare } from "./footprint-share";
import { proxyMemoryLimitWithinMax, proxyResourceRequestsSet } from "./resources";

export const proxyPolicies: AreaPolicy[] = [
  proxyMemoryLimitWithinMax,
  proxyResourceRequestsSet,
  meshFootprintWithinNodeShare,
];
