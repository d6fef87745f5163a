import * as azureContainer from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { decodeKubeconfig, type KubeloginMode, useKubeloginMode } from "./kubeconfig";

export interface KubeAccessArgs {
  resourceGroupName: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  credentials: "user" | "admin" | "context";
  kubeloginMode: KubeloginMode;
  kubeconfigContext?: string;
  upsertExistingObjects: boolean;
}

/** Reads the cluster's kubeconfig (as a secret) the configured way. Empty for "context" (the ambient kubeconfig). */
export function readKubeconfig(args: KubeAccessArgs, opts: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  const query = { resourceGroupName: args.resourceGroupName, resourceName: args.clusterName };
  let encoded: pulumi.Output<string>;
  switch (args.credentials) {
    case "context":
      return pulumi.secret("");
    case "admin":
      encoded = azureContainer
        .listManagedClusterAdminCredentialsOutput(query, opts)
        .apply((r) => r.kubeconfigs[0]?.value ?? "");
      break;
    case "user":
      encoded = azureContainer
        .listManagedClusterUserCredentialsOutput({ ...query, format: "exec" }, opts)
        .apply((r) => r.kubeconfigs[0]?.value ?? "");
      break;
  }
  return pulumi.secret(encoded.apply((b64) => useKubeloginMode(decodeKubeconfig(b64), args.kubeloginMode)));
}

/**
 * The one explicit Kubernetes provider of the stack. Server-side apply (the v4 default) lets istiod and other
 * controllers own the fields they manage; upserting existing objects is off unless a takeover asks for it.
 */
export function kubernetesProvider(
  name: string,
  args: KubeAccessArgs,
  kubeconfig: pulumi.Output<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.Provider {
  return new k8s.Provider(
    name,
    {
      ...(args.credentials === "context" ? { context: args.kubeconfigContext } : { kubeconfig }),
      enableServerSideApply: true,
      upsertExistingObjects: args.upsertExistingObjects,
    },
    opts,
  );
}
