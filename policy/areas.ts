// The pack's policies, area by area: the one list the pack (policy/index.ts), its tests and the README's policy table
// (npm run docs:policies) are built from. Adding an area: a folder policy/<area>/ whose index.ts exports the area's
// list, and one line here. The order is the README table's; the pack's results do not depend on it (the plan sorts
// policy.json).
import { deliveryPolicies } from "./delivery";
import { ingressPolicies } from "./ingress";
import { installPolicies } from "./install";
import { istioApiPolicies } from "./istio-api";
import { levelsPolicies } from "./levels";
import type { AreaPolicy } from "./lib/why";
import { livePolicies } from "./live";
import { meshPolicies } from "./mesh";
import { observabilityPolicies } from "./observability";
import { opsPolicies } from "./ops";
import { proxyPolicies } from "./proxy";
import { securityPolicies } from "./security";
import { trafficPolicies } from "./traffic";

export interface PolicyArea {
  /** The area's folder under policy/ ("levels" and "live" are the pack's own checks, files at its root). */
  readonly name: string;
  readonly policies: readonly AreaPolicy[];
}

export const POLICY_AREAS: readonly PolicyArea[] = [
  { name: "levels", policies: levelsPolicies },
  { name: "install", policies: installPolicies },
  { name: "proxy", policies: proxyPolicies },
  { name: "ingress", policies: ingressPolicies },
  { name: "istio-api", policies: istioApiPolicies },
  { name: "security", policies: securityPolicies },
  { name: "mesh", policies: meshPolicies },
  { name: "traffic", policies: trafficPolicies },
  { name: "delivery", policies: deliveryPolicies },
  { name: "ops", policies: opsPolicies },
  { name: "observability", policies: observabilityPolicies },
  { name: "live", policies: livePolicies },
];

/** Every policy of the pack, as its areas list them. */
export const allPolicies: readonly AreaPolicy[] = POLICY_AREAS.flatMap((a) => a.policies);
