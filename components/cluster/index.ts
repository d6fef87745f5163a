export { AksCluster, type AksClusterArgs } from "./aks-cluster";
export { ExistingCluster, type ExistingClusterArgs } from "./existing-cluster";
export { cluster, type ClusterArgs } from "./cluster";
export { decodeKubeconfig, useKubeloginMode } from "./kubeconfig";
export type { ClusterHandle } from "./types";
