// Strings the program writes and the pack reads: the one place both take them from. The program imports this module;
// the pack never imports the program.

/** Type tokens of the cluster components (components/cluster). */
export const CLUSTER_TYPES = {
  /** A cluster the stack only reads (cluster.mode existing). */
  existing: "aks-mesh:cluster:ExistingCluster",
  /** A cluster the stack creates (cluster.mode create). */
  created: "aks-mesh:cluster:AksCluster",
} as const;

/**
 * The output both cluster components register with the cluster's Kubernetes version ("1.32.7", or "1.32" as
 * configured): what the existing cluster's read reports, or what the stack asks AKS for.
 */
export const CLUSTER_KUBERNETES_VERSION_OUTPUT = "kubernetesVersion";

/** The environments a stack declares with config `aks-mesh:environment`; each runs policy/<environment>.json. */
export const ENVIRONMENTS = ["production", "development"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A stack that does not say gets the strict levels. */
export const DEFAULT_ENVIRONMENT: Environment = "production";

/** The stack output in which the program declares its environment; the pack reads it from the root stack resource. */
export const ENVIRONMENT_OUTPUT = "environment";

/** The label that selects a revision's sidecar injector (a revision name or a tag) for a namespace or a pod. */
export const REVISION_LABEL = "istio.io/rev";
