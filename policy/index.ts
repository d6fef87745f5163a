// The aks-mesh CrossGuard pack, served to `pulumi preview --policy-pack policy` (and the offline plan). One list per
// area; a new area adds its file's list here. Levels are the defaults; policy/<stack>.json sets them per stack.
import { type Policies, PolicyPack } from "@pulumi/policy";
import { analyzePolicies } from "./analyze";
import { ingressPolicies } from "./ingress";
import { istioApiPolicies } from "./istio-api";
import { istioInstallPolicies } from "./istio-install";
import { meshHygienePolicies } from "./mesh-hygiene";
import { observabilityPolicies } from "./observability";
import { proxyPolicies } from "./proxy";
import { securityPolicies } from "./security";

const policies: Policies = [
  ...istioInstallPolicies,
  ...proxyPolicies,
  ...ingressPolicies,
  ...istioApiPolicies,
  ...securityPolicies,
  ...analyzePolicies,
  ...meshHygienePolicies,
  ...observabilityPolicies,
];

new PolicyPack("aks-mesh", {
  description:
    "Guardrails for the aks-mesh Istio service mesh on AKS: install, proxies, ingress IP, Istio APIs, mTLS rollout, istioctl analyze.",
  policies,
});
