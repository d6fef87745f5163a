// Config-time checks of the Kubernetes/Istio pair against the compatibility table (policy/compatibility.ts, where the
// data and its sources live, so the pack reads the same rows). A cluster this stack creates must run a Kubernetes
// version its Istio supports and AKS offers on the day of the run, under the support plan the stack asks for. An
// existing cluster is not checked here: its version is only known from the cluster read, and the pack's advisory
// policy `istio-supports-cluster-kubernetes-version` reports it instead, so a stack on an old cluster still plans.
import {
  aksOffer,
  type AksSupportPlan,
  describeOffer,
  type IsoDate,
  ISTIO_RELEASES,
  ISTIO_SUPPORT_SOURCE,
  istioRelease,
  kubernetesChoices,
  kubernetesRange,
  lowestIstioOnAks,
  minorOf,
  AKS_VERSIONS_SOURCE,
} from "../policy/compatibility";

/** The minors the table lists, oldest first ("1.23, 1.24, …"), for messages. */
export const SUPPORTED_ISTIO_MINORS: readonly string[] = ISTIO_RELEASES.map((r) => r.minor).reverse();

/** An Istio version the program has a table row for; the message a stack file gets otherwise. */
export function istioVersionProblem(version: string): string | undefined {
  if (istioRelease(version)) return undefined;
  return (
    `${version} is not in the compatibility table of Istio releases (${SUPPORTED_ISTIO_MINORS[0]}–` +
    `${SUPPORTED_ISTIO_MINORS[SUPPORTED_ISTIO_MINORS.length - 1]}, policy/compatibility.ts): the program's chart ` +
    "values and its Kubernetes checks are verified for those minors only"
  );
}

export interface CreatedCluster {
  kubernetesVersion: string;
  tier: "Free" | "Standard" | "Premium";
  supportPlan: AksSupportPlan;
}

/**
 * Problems of a cluster the stack creates, each naming the key to change and what to choose instead. `key(path)` gives
 * the full config key ("aks-mesh:cluster.create.kubernetesVersion"); `today` is the day AKS must offer the version;
 * `istioKey` is where the stack sets this Istio version (`istio.version`, or `istio.revisions[1].version`).
 */
export function createdClusterProblems(
  cluster: CreatedCluster,
  istioVersion: string,
  today: IsoDate,
  key: (path: string) => string,
  istioKey = "istio.version",
): string[] {
  const release = istioRelease(istioVersion);
  if (!release) return []; // the Istio version itself is reported by the schema
  const k8sKey = key("cluster.create.kubernetesVersion");
  const version = cluster.kubernetesVersion;
  const choices = kubernetesChoices(istioVersion, today);
  const instead =
    choices.length > 0
      ? `choose one that Istio ${release.minor} supports and AKS offers today: ${choices.map(describeOffer).join(", ")}`
      : insteadOfIstio(istioVersion, today, key(istioKey));

  if (!release.kubernetes.includes(minorOf(version) ?? version)) {
    return [
      `${k8sKey}: Kubernetes ${version} is not supported by Istio ${istioVersion} (${key(istioKey)}), which ` +
        `supports Kubernetes ${kubernetesRange(release)} (${ISTIO_SUPPORT_SOURCE.url}, read ${ISTIO_SUPPORT_SOURCE.read}); ${instead}`,
    ];
  }
  const offer = aksOffer(version, today);
  if (!offer.offered) {
    const why =
      offer.reason === "not-yet"
        ? `is not generally available in AKS before ${offer.since ?? "its GA"}`
        : offer.reason === "retired"
          ? `is no longer offered by AKS${offer.since ? ` (long-term support ended ${offer.since})` : ""}`
          : "is not in AKS's release calendar";
    return [
      `${k8sKey}: Kubernetes ${version} ${why} (${AKS_VERSIONS_SOURCE.url}, read ${AKS_VERSIONS_SOURCE.read}); ${instead}`,
    ];
  }
  if (
    offer.plan === "AKSLongTermSupport" &&
    (cluster.supportPlan !== "AKSLongTermSupport" || cluster.tier !== "Premium")
  ) {
    return [
      `${k8sKey}: Kubernetes ${version} left AKS community support on ${offer.lts.communitySupportEnds}; AKS offers it ` +
        `only under long-term support until ${offer.until}. Set ${key("cluster.create.tier")}: Premium and ` +
        `${key("cluster.create.supportPlan")}: AKSLongTermSupport (the Premium tier is billed per cluster-hour), or ${instead}`,
    ];
  }
  if (cluster.supportPlan === "AKSLongTermSupport" && cluster.tier !== "Premium") {
    return [
      `${key("cluster.create.supportPlan")}: AKSLongTermSupport needs ${key("cluster.create.tier")}: Premium ` +
        `(${AKS_VERSIONS_SOURCE.lts}); set the tier, or use supportPlan KubernetesOfficial`,
    ];
  }
  return [];
}

/** When no Kubernetes version AKS offers runs this Istio: the lowest Istio release that has one. */
function insteadOfIstio(istioVersion: string, today: IsoDate, istioKey: string): string {
  const lowest = lowestIstioOnAks(today);
  if (!lowest) return `no Kubernetes version AKS offers today runs any Istio release of the table`;
  return (
    `no Kubernetes version AKS offers today runs Istio ${istioVersion}: move ${istioKey} to ` +
    `${lowest.release.checkedPatch} or later, the lowest release with one (${lowest.kubernetes.map(describeOffer).join(", ")})`
  );
}
