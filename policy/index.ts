// The aks-mesh CrossGuard pack, served to `pulumi preview --policy-pack policy` (and the offline plan). Its policies come
// from one list, policy/areas.ts. The pack starts from production's levels (policy/production.json, its
// initial config), so a run without --policy-pack-config is a production run; a development stack passes
// --policy-pack-config policy/development.json, and policy-levels-match-environment fails a run whose levels are not
// the stack's environment's (config aks-mesh:environment).
import fs from "node:fs";
import path from "node:path";
import { PolicyPack, type PolicyPackConfig } from "@pulumi/policy";
import { allPolicies } from "./areas";
import { LIVE_AWARE_CHECKS, withLiveObjects } from "./live";

// The cross-object checks that also see the cluster's live objects (policy/live.ts: how they arrive, how they count).
const served = allPolicies.map((p) =>
  "validateStack" in p && LIVE_AWARE_CHECKS.includes(p.name) ? withLiveObjects(p) : p,
);

new PolicyPack(
  "aks-mesh",
  {
    description:
      "Guardrails for the aks-mesh Istio service mesh on AKS: install, proxies, ingress IP, Istio APIs, mTLS rollout, istioctl analyze.",
    policies: served,
  },
  JSON.parse(fs.readFileSync(path.join(__dirname, "production.json"), "utf8")) as PolicyPackConfig,
);
