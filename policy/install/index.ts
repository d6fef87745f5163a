// install: how Istio gets onto the cluster — the Helm releases and their images, the Kubernetes version under them,
// and the Kubernetes provider that applies them.
import type { AreaPolicy } from "../lib/why";
import { istioSupportsClusterKubernetesVersion } from "./cluster-version";
import { istioHelmReleasePinned, istioHelmReleasesSameVersion, istioImageHubAllowed } from "./helm-releases";
import { kubernetesProviderUpsertOff } from "./kubernetes-provider";

export const installPolicies: AreaPolicy[] = [
  istioHelmReleasePinned,
  istioHelmReleasesSameVersion,
  istioSupportsClusterKubernetesVersion,
  kubernetesProviderUpsertOff,
  istioImageHubAllowed,
];
