// istio-api: the Istio API versions and fields every Istio object uses.
import { istioApiVersionV1, istioNoDeprecatedFields } from "./versions";

export const istioApiPolicies = [istioApiVersionV1, istioNoDeprecatedFields];
