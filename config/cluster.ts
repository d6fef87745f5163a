// Area "cluster" (components/cluster): `aks-mesh:cluster`, where the mesh runs.
import { z } from "zod";
import type { ConfigArea, Parsed } from "./area";
import { createdClusterProblems } from "./compatibility";
import { azureName, resourceGroupName, whenFieldsValid } from "./primitives";
import { installedRevisions, type istioKeys } from "./istio";

/**
 * AKS's network policy engines (ManagedCluster networkProfile.networkPolicy): "none" enforces nothing, so a cluster
 * without an engine ignores every NetworkPolicy (AKS docs, use-network-policies).
 */
export const NETWORK_POLICY_ENGINES = ["none", "azure", "calico", "cilium"] as const;
export type NetworkPolicyEngine = (typeof NETWORK_POLICY_ENGINES)[number];

export const clusterSection = z
  .strictObject({
    mode: z
      .enum(["existing", "create"])
      .default("existing")
      .describe('"existing": read the cluster by resource group and name; "create": create it (fresh environments).'),
    resourceGroup: resourceGroupName.describe('Resource group of the cluster (created in mode "create").'),
    name: azureName.describe("Name of the AKS managed cluster."),
    credentials: z
      .enum(["user", "admin", "context"])
      .default("user")
      .describe(
        'How the Kubernetes provider authenticates: "user" — the cluster-user kubeconfig (kubelogin on Entra ID ' +
          'clusters); "admin" — the local admin kubeconfig (local accounts only); "context" — the ambient kubeconfig ' +
          "of the machine running Pulumi, with kubeconfigContext.",
      ),
    kubeloginMode: z
      .enum(["azurecli", "workloadidentity", "msi", "spn"])
      .default("azurecli")
      .describe('kubelogin login mode for "user" credentials on Entra ID clusters (kubelogin get-token --login).'),
    kubeconfigContext: z
      .string()
      .min(1)
      .optional()
      .describe('Context of the ambient kubeconfig, with credentials "context".'),
    upsertExistingObjects: z
      .boolean()
      .default(false)
      .describe(
        "Let the Kubernetes provider adopt objects that already exist (provider upsertExistingObjects). Only for the " +
          "one pulumi up that takes over a hand-installed mesh.",
      ),
    nodePool: z
      .strictObject({
        vmSize: z
          .string()
          .regex(/^Standard_[A-Za-z0-9_]+$/, 'must be an Azure VM size such as "Standard_D4s_v5"')
          .describe('VM size of its nodes, e.g. "Standard_D4s_v5".'),
        count: z.int().min(1).max(1000).describe("Nodes (autoscaled: the count you plan for)."),
        maxPods: z.int().min(10).max(250).describe("Max pods per node (maxPods); AKS 1.29+ reserves memory by it."),
      })
      .optional()
      .describe(
        "An existing cluster's node pool (az aks nodepool list), for the footprint report's allocatable estimate; " +
          "without it the report says the pool is unknown. A created cluster's is cluster.create.",
      ),
    networkPolicy: z
      .enum(NETWORK_POLICY_ENGINES)
      .optional()
      .describe(
        "An existing cluster's network policy engine as `az aks show -g <group> -n <cluster> --query " +
          'networkProfile.networkPolicy -o tsv` prints it (empty: "none"). A run reads it from the cluster; this ' +
          "value stands in where the read does not say (the offline plan), and a disagreement is warned. Without " +
          "an engine AKS ignores NetworkPolicies (README: Security rollout). A created cluster's engine is Cilium.",
      ),
    create: z
      .strictObject({
        location: z
          .string()
          .regex(/^[a-z0-9]+$/, 'must be an Azure region name such as "koreacentral"')
          .describe("Azure region."),
        kubernetesVersion: z
          .string()
          .regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'must be a version such as "1.32"')
          .describe(
            'Kubernetes version, "1.32" or "1.32.7". It must be one that istio.version supports and AKS offers on the ' +
              'day of the run (the table in policy/compatibility.ts; see "Kubernetes and Istio versions").',
          ),
        nodeCount: z.int().min(1).max(100).default(2).describe("Nodes in the system pool."),
        vmSize: z.string().min(1).default("Standard_D4s_v5").describe("VM size of the system pool."),
        zones: z
          .array(z.enum(["1", "2", "3"]))
          .default([])
          .describe("Availability zones of the system pool; [] for regions without zones."),
        tier: z
          .enum(["Free", "Standard", "Premium"])
          .default("Free")
          .describe(
            "AKS pricing tier; Standard adds the API server SLA; Premium adds long-term support (needed by supportPlan AKSLongTermSupport).",
          ),
        supportPlan: z
          .enum(["KubernetesOfficial", "AKSLongTermSupport"])
          .default("KubernetesOfficial")
          .describe(
            "AKS support plan (ManagedCluster supportPlan). AKSLongTermSupport keeps a Kubernetes version a second year after " +
              "its community support ends; it needs tier Premium.",
          ),
      })
      .optional()
      .describe('Settings of the cluster to create, for mode "create".'),
  })
  .superRefine((c, ctx) => {
    if (c.mode === "create" && !c.create) {
      ctx.addIssue({ code: "custom", path: ["create"], message: 'is required when mode is "create"' });
    }
    if (c.mode === "existing" && c.create) {
      ctx.addIssue({ code: "custom", path: ["create"], message: 'is only valid when mode is "create"' });
    }
    if (c.mode === "create" && c.nodePool) {
      ctx.addIssue({
        code: "custom",
        path: ["nodePool"],
        message:
          'is only valid when mode is "existing" (a created cluster\'s pool is create.vmSize and create.nodeCount)',
      });
    }
    if (c.mode === "create" && c.networkPolicy) {
      ctx.addIssue({
        code: "custom",
        path: ["networkPolicy"],
        message:
          'is only valid when mode is "existing" (a created cluster runs the Cilium dataplane, whose engine is Cilium)',
      });
    }
    if (c.credentials === "context" && !c.kubeconfigContext) {
      ctx.addIssue({
        code: "custom",
        path: ["kubeconfigContext"],
        message: 'is required when credentials is "context"',
      });
    }
  }, whenFieldsValid)
  .describe("Where the mesh runs: an existing AKS cluster (default), or one this stack creates.");

export const clusterKeys = { cluster: clusterSection };

/** A created cluster must run a Kubernetes version its Istio supports and AKS offers today (config/compatibility.ts). */
export const clusterArea: ConfigArea<
  typeof clusterKeys,
  Parsed<typeof clusterKeys & typeof istioKeys>,
  Parsed<typeof clusterKeys>
> = {
  keys: clusterKeys,
  // Every installed revision must run on the cluster: during a canary both the stable and the new one.
  crossChecks: (root, { key, today }) => {
    const create = root.cluster.mode === "create" ? root.cluster.create : undefined;
    if (!create) return [];
    const versions = [...new Set(installedRevisions(root.istio).map((r) => r.version))];
    // The key that sets each version: the single form's, or its first entry in the list form.
    const keyOf = (v: string) => {
      const i = root.istio.revisions?.findIndex((r) => r.version === v) ?? -1;
      return i >= 0 ? `istio.revisions[${i}].version` : "istio.version";
    };
    return versions.flatMap((v) => createdClusterProblems(create, v, today, key, keyOf(v)));
  },
  resolve: (root) => ({ cluster: root.cluster }),
};
