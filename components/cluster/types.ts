import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** What the rest of the program needs from a cluster, whether this stack created it or only reads it. */
export interface ClusterHandle {
  /** The Kubernetes provider every Kubernetes resource of the stack uses. */
  readonly provider: k8s.Provider;
  /** Azure region of the cluster; the static IP must live in the same one. */
  readonly location: pulumi.Output<string>;
  /** The MC_ resource group AKS manages; where the static IP goes by default. */
  readonly nodeResourceGroup: pulumi.Output<string>;
  /** Principal id of the cluster (control-plane) identity, which binds load balancers to public IPs. */
  readonly identityPrincipalId: pulumi.Output<string>;
  /** Kubernetes version of the cluster: the one configured when the stack creates it, else the one the read reports. */
  readonly kubernetesVersion: pulumi.Output<string>;
  /**
   * The cluster's network policy engine (networkProfile.networkPolicy: "none", "azure", "calico", "cilium"): what
   * enforces NetworkPolicies; "none" ignores them. "unknown" when the read does not say and config does not declare it.
   */
  readonly networkPolicyEngine: pulumi.Output<string>;
  /** Kubeconfig, a secret; exported only when this stack created the cluster. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Whether this stack created the cluster (cluster.mode create) rather than only reading it. */
  readonly created: boolean;
}
