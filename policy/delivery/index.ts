// delivery: how a new version takes traffic — canary splits today; later, the subsets derived from the service
// graph's versions (config aks-mesh:services) and the delivery strategy's steps get their checks here.
import type { AreaPolicy } from "../lib/why";
import { virtualServiceRouteWeightsSumTo100 } from "./route-weights";

export const deliveryPolicies: AreaPolicy[] = [virtualServiceRouteWeightsSumTo100];
