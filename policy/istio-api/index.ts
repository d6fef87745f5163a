// istio-api: the Istio API versions and fields every Istio object uses.
import type { AreaPolicy } from "../lib/why";
import { istioApiVersionV1, istioNoDeprecatedFields } from "./versions";

export const istioApiPolicies: AreaPolicy[] = [istioApiVersionV1, istioNoDeprecatedFields];
