// install: how Istio gets onto the cluster — the Helm releases and their images, the Kubernetes version under them,
// and the Kubernetes provider that applies them.
import type { AreaPolicy } from "../lib/why";
import { istioCanarySupportsClusterKubernetesVersion, istioSupportsClusterKubernetesVersion } from "./cluster-version";
import {
  istioCanaryHopWithinTwoMinors,
  istioHelmReleasePinned,
  istioHelmReleasesSameVersion,
  istioImageHubAllowed,
} from "./helm-releases";
import { istioRevisionRemovedOnlyWhenUnreferenced } from "./revision-references";
import { istioUpgradeNotes } from "./upgrade-notes";
import { kubernetesProviderUpsertOff } from "./kubernetes-provider";

export const installPolicies: AreaPolicy[] = [
  istioHelmReleasePinned,
  istioHelmReleasesSameVersion,
  istioCanaryHopWithinTwoMinors,
  istioRevisionRemovedOnlyWhenUnreferenced,
  istioSupportsClusterKubernetesVersion,
  istioCanarySupportsClusterKubernetesVersion,
  istioUpgradeNotes,
  kubernetesProviderUpsertOff,
  istioImageHubAllowed,
];
