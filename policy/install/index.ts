// install: how Istio gets onto the cluster — the Helm releases and their images, the Kubernetes version under them,
// and the Kubernetes provider that applies them.
import { istioSupportsClusterKubernetesVersion } from "./cluster-version";
import { istioHelmReleasePinned, istioHelmReleasesSameVersion, istioImageHubAllowed } from "./helm-releases";
import { kubernetesProviderUpsertOff } from "./kubernetes-provider";

export const installPolicies = [
  istioHelmReleasePinned,
  istioHelmReleasesSameVersion,
  istioSupportsClusterKubernetesVersion,
  kubernetesProviderUpsertOff,
  istioImageHubAllowed,
];
