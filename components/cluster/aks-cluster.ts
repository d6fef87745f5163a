import * as azureContainer from "@pulumi/azure-native/containerservice";
import * as azureResources from "@pulumi/azure-native/resources";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_KUBERNETES_VERSION_OUTPUT, CLUSTER_NETWORK_POLICY_OUTPUT, CLUSTER_TYPES } from "../../policy/contract";
import { kubernetesProvider, readKubeconfig } from "./provider";
import type { ClusterHandle } from "./types";

/** The Cilium dataplane's engine: with it, AKS needs (and allows) no other (AKS docs, azure-cni-powered-by-cilium). */
const CREATED_CLUSTER_NETWORK_POLICY = "cilium";

export interface AksClusterArgs {
  /** Resource group to create for the cluster. */
  resourceGroupName: string;
  /** Name of the AKS cluster (also its DNS prefix). */
  clusterName: string;
  /** Azure region. */
  location: string;
  /** Kubernetes version ("1.32" or "1.32.7"; config cluster.create.kubernetesVersion, checked against the table). */
  kubernetesVersion: string;
  /** Nodes in the system pool. */
  nodeCount: number;
  /** VM size of the system pool. */
  vmSize: string;
  /** Availability zones of the system pool; [] for none. */
  zones: string[];
  /** AKS pricing tier: Free, Standard (financially backed API server SLA) or Premium (long-term support). */
  tier: "Free" | "Standard" | "Premium";
  /**
   * AKS support plan (config cluster.create.supportPlan; ManagedCluster supportPlan); AKSLongTermSupport needs tier
   * Premium. Default KubernetesOfficial.
   */
  supportPlan?: "KubernetesOfficial" | "AKSLongTermSupport";
  /** Provider option upsertExistingObjects. */
  upsertExistingObjects: boolean;
}

/**
 * A new AKS cluster for a fresh environment: Azure CNI overlay with the Cilium dataplane (so the NetworkPolicies of
 * the security layer are enforced), a system-assigned identity and the OIDC issuer for workload identity.
 */
export class AksCluster extends pulumi.ComponentResource implements ClusterHandle {
  readonly provider: k8s.Provider;
  readonly location: pulumi.Output<string>;
  readonly nodeResourceGroup: pulumi.Output<string>;
  readonly identityPrincipalId: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly created = true;
  /** The Kubernetes version the stack asks AKS for (config cluster.create.kubernetesVersion). */
  readonly kubernetesVersion: pulumi.Output<string>;
  /** Cilium: Azure CNI powered by Cilium enforces NetworkPolicies itself (AKS docs, azure-cni-powered-by-cilium). */
  readonly networkPolicyEngine: pulumi.Output<string>;

  constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CLUSTER_TYPES.created, name, {}, opts);

    const group = new azureResources.ResourceGroup(
      `${name}-rg`,
      { resourceGroupName: args.resourceGroupName, location: args.location },
      { parent: this },
    );
    const nodeResourceGroup = `MC_${args.resourceGroupName}_${args.clusterName}_${args.location}`;
    const cluster = new azureContainer.ManagedCluster(
      `${name}-aks`,
      {
        resourceName: args.clusterName,
        resourceGroupName: group.name,
        location: args.location,
        dnsPrefix: args.clusterName,
        kubernetesVersion: args.kubernetesVersion,
        nodeResourceGroup,
        identity: { type: azureContainer.ResourceIdentityType.SystemAssigned },
        sku: { name: "Base", tier: args.tier },
        supportPlan: args.supportPlan ?? "KubernetesOfficial",
        enableRBAC: true,
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        networkProfile: {
          networkPlugin: "azure",
          networkPluginMode: "overlay",
          networkDataplane: "cilium",
          networkPolicy: CREATED_CLUSTER_NETWORK_POLICY,
          loadBalancerSku: "standard",
        },
        agentPoolProfiles: [
          {
            name: "system",
            mode: "System",
            count: args.nodeCount,
            vmSize: args.vmSize,
            osType: "Linux",
            type: "VirtualMachineScaleSets",
            ...(args.zones.length > 0 ? { availabilityZones: args.zones } : {}),
          },
        ],
      },
      { parent: this },
    );

    this.location = cluster.location;
    this.kubernetesVersion = pulumi.output(args.kubernetesVersion);
    this.networkPolicyEngine = pulumi.output(CREATED_CLUSTER_NETWORK_POLICY);
    this.nodeResourceGroup = cluster.nodeResourceGroup.apply((g) => g ?? nodeResourceGroup);
    this.identityPrincipalId = cluster.identity.apply((i) => {
      if (!i?.principalId) throw new Error(`AKS cluster ${args.clusterName} has no system-assigned identity`);
      return i.principalId;
    });
    const access = {
      resourceGroupName: group.name,
      clusterName: cluster.name,
      credentials: "user" as const,
      kubeloginMode: "azurecli" as const,
      upsertExistingObjects: args.upsertExistingObjects,
    };
    this.kubeconfig = readKubeconfig(access, { parent: this, dependsOn: [cluster] });
    this.provider = kubernetesProvider(`${name}-k8s`, access, this.kubeconfig, { parent: this });

    this.registerOutputs({
      location: this.location,
      nodeResourceGroup: this.nodeResourceGroup,
      [CLUSTER_KUBERNETES_VERSION_OUTPUT]: this.kubernetesVersion,
      [CLUSTER_NETWORK_POLICY_OUTPUT]: this.networkPolicyEngine,
    });
  }
}
