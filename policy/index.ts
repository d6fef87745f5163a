// The aks-mesh CrossGuard pack, served to `pulumi preview --policy-pack policy` (and the offline plan). One list per
// area; a new area adds its file's list here. Levels are the defaults; policy/<stack>.json sets them per stack.
import { type Policies, PolicyPack } from "@pulumi/policy";
import { analyzePolicies } from "./analyze";
import { clusterVersionPolicies } from "./cluster-version";
import { ingressPolicies } from "./ingress";
import { istioApiPolicies } from "./istio-api";
import { istioInstallPolicies } from "./istio-install";
import { LIVE_AWARE_CHECKS, livePolicies, withLiveObjects } from "./live";
import { meshHygienePolicies } from "./mesh-hygiene";
import { observabilityPolicies } from "./observability";
import { proxyPolicies } from "./proxy";
import { securityPolicies } from "./security";

const policies: Policies = [
  ...istioInstallPolicies,
  ...clusterVersionPolicies,
  ...proxyPolicies,
  ...ingressPolicies,
  ...istioApiPolicies,
  ...securityPolicies,
  ...analyzePolicies,
  ...meshHygienePolicies,
  ...observabilityPolicies,
  ...livePolicies,
];

// The cross-object checks that also see the cluster's live objects (policy/live.ts: how they arrive, how they count).
const served = policies.map((p) =>
  "validateStack" in p && LIVE_AWARE_CHECKS.includes(p.name) ? withLiveObjects(p) : p,
);

new PolicyPack("aks-mesh", {
  description:
    "Guardrails for the aks-mesh Istio service mesh on AKS: install, proxies, ingress IP, Istio APIs, mTLS rollout, istioctl analyze.",
  policies: served,
});
