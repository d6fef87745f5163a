import * as azureContainer from "@pulumi/azure-native/containerservice";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CLUSTER_KUBERNETES_VERSION_OUTPUT,
  CLUSTER_NETWORK_POLICY_OUTPUT,
  CLUSTER_NODE_POOL_OUTPUT,
  CLUSTER_TYPES,
  UNKNOWN_NETWORK_POLICY,
} from "../../policy/contract";
import type { KubeloginMode } from "./kubeconfig";
import { kubernetesProvider, readKubeconfig } from "./provider";
import type { ClusterHandle } from "./types";

export interface ExistingClusterArgs {
  /** Resource group of the AKS cluster. */
  resourceGroupName: string;
  /** Name of the AKS cluster. */
  clusterName: string;
  /** How the Kubernetes provider authenticates (config cluster.credentials). */
  credentials: "user" | "admin" | "context";
  /** kubelogin login mode for Entra ID clusters (config cluster.kubeloginMode). */
  kubeloginMode: KubeloginMode;
  /** Ambient kubeconfig context when credentials is "context". */
  kubeconfigContext?: string;
  /** Provider option upsertExistingObjects (config cluster.upsertExistingObjects). */
  upsertExistingObjects: boolean;
  /** The node pool as config declares it (cluster.nodePool), registered as an output for the footprint report. */
  nodePool?: { vmSize: string; count: number; maxPods: number };
  /** The engine config declares (cluster.networkPolicy), for when the read does not say (the offline plan). */
  networkPolicy?: string;
}

/** An AKS cluster this stack does not own: read with azure-native, never modified. */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly provider: k8s.Provider;
  readonly location: pulumi.Output<string>;
  readonly nodeResourceGroup: pulumi.Output<string>;
  readonly identityPrincipalId: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly created = false;
  /**
   * The Kubernetes version the cluster runs, from the cluster read (currentKubernetesVersion, the full patch; else
   * kubernetesVersion). Registered as an output so the pack can check it against Istio's support table.
   */
  readonly kubernetesVersion: pulumi.Output<string>;
  /** The network policy engine the read reports (else config cluster.networkPolicy; else "unknown"). */
  readonly networkPolicyEngine: pulumi.Output<string>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CLUSTER_TYPES.existing, name, {}, opts);

    const cluster = azureContainer.getManagedClusterOutput(
      { resourceGroupName: args.resourceGroupName, resourceName: args.clusterName },
      { parent: this },
    );
    this.location = cluster.location;
    this.nodeResourceGroup = cluster.apply((c) => {
      if (!c.nodeResourceGroup) throw new Error(`AKS cluster ${args.clusterName} reports no node resource group`);
      return c.nodeResourceGroup;
    });
    this.identityPrincipalId = cluster.apply((c) => clusterPrincipalId(args.clusterName, c.identity));
    this.kubernetesVersion = cluster.apply((c) => clusterKubernetesVersion(args.clusterName, c));
    this.networkPolicyEngine = cluster.apply((c) => {
      const read = clusterNetworkPolicy(c);
      if (read !== undefined && args.networkPolicy !== undefined && read !== args.networkPolicy) {
        void pulumi.log.warn(
          `AKS cluster ${args.clusterName} reports network policy engine "${read}" but config ` +
            `aks-mesh:cluster.networkPolicy says "${args.networkPolicy}": the read is used; correct the config.`,
          this,
        );
      }
      return read ?? args.networkPolicy ?? UNKNOWN_NETWORK_POLICY;
    });

    const access = { ...args, resourceGroupName: args.resourceGroupName, clusterName: args.clusterName };
    this.kubeconfig = readKubeconfig(access, { parent: this });
    this.provider = kubernetesProvider(`${name}-k8s`, access, this.kubeconfig, { parent: this });

    this.registerOutputs({
      location: this.location,
      nodeResourceGroup: this.nodeResourceGroup,
      [CLUSTER_KUBERNETES_VERSION_OUTPUT]: this.kubernetesVersion,
      [CLUSTER_NETWORK_POLICY_OUTPUT]: this.networkPolicyEngine,
      ...(args.nodePool ? { [CLUSTER_NODE_POOL_OUTPUT]: args.nodePool } : {}),
    });
  }
}

/** The principal id of a cluster identity, system- or user-assigned. */
export function clusterPrincipalId(
  clusterName: string,
  identity: azureContainer.GetManagedClusterResult["identity"],
): string {
  // A user-assigned identity has no top-level principalId (the SDK types it as required; Azure leaves it empty).
  const principal = identity?.principalId || Object.values(identity?.userAssignedIdentities ?? {})[0]?.principalId;
  if (!principal) {
    throw new Error(`AKS cluster ${clusterName} has no managed identity; service-principal clusters are not supported`);
  }
  return principal;
}

/** The Kubernetes version a cluster read reports: the full patch (currentKubernetesVersion), else kubernetesVersion. */
export function clusterKubernetesVersion(
  clusterName: string,
  read: Pick<azureContainer.GetManagedClusterResult, "currentKubernetesVersion" | "kubernetesVersion">,
): string {
  // The SDK types currentKubernetesVersion as always present; Azure leaves it out while a cluster is being created.
  const version = read.currentKubernetesVersion || read.kubernetesVersion;
  if (!version) throw new Error(`AKS cluster ${clusterName} reports no Kubernetes version`);
  return version;
}

/**
 * The network policy engine a cluster read reports: networkProfile.networkPolicy, where an absent value means none
 * (Azure leaves it out, or says "none", on a cluster without an engine); undefined when the read has no network
 * profile at all, which a real AKS cluster always has (the offline plan's simulated read does not make one up).
 */
export function clusterNetworkPolicy(
  read: Pick<azureContainer.GetManagedClusterResult, "networkProfile">,
): string | undefined {
  if (!read.networkProfile) return undefined;
  return read.networkProfile.networkPolicy?.toLowerCase() || "none";
}
