import type { MeshConfig } from "../../config";
import { AksCluster } from "./aks-cluster";
import { ExistingCluster } from "./existing-cluster";
import type { ClusterHandle } from "./types";

export interface ClusterArgs {
  /** The validated stack config; this area reads its cluster section. */
  config: MeshConfig;
}

/**
 * The cluster area: the AKS cluster this stack creates (cluster.mode create) or the one it only reads, each with the
 * one Kubernetes provider every Kubernetes resource of the stack uses. A factory rather than a wrapping component:
 * the provider is a child of the cluster component, and re-parenting a provider would gain nothing but aliases on
 * the resource every Kubernetes object refers to.
 */
export function cluster(name: string, args: ClusterArgs): ClusterHandle {
  const c = args.config.cluster;
  return c.mode === "create" && c.create
    ? new AksCluster(name, {
        resourceGroupName: c.resourceGroup,
        clusterName: c.name,
        ...c.create,
        upsertExistingObjects: c.upsertExistingObjects,
      })
    : new ExistingCluster(name, {
        resourceGroupName: c.resourceGroup,
        clusterName: c.name,
        credentials: c.credentials,
        kubeloginMode: c.kubeloginMode,
        kubeconfigContext: c.kubeconfigContext,
        upsertExistingObjects: c.upsertExistingObjects,
        ...(c.nodePool ? { nodePool: c.nodePool } : {}),
        ...(c.networkPolicy ? { networkPolicy: c.networkPolicy } : {}),
      });
}
