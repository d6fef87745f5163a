// The cluster's Kubernetes version against the compatibility table (compatibility.ts): a version the installed Istio
// supports (Istio's support table) and AKS still offers (AKS's release calendar). Config validation already refuses a
// cluster the stack creates outside that; this policy is for the cluster the stack only reads, whose version is a
// fact of the live cluster, so the stack must still plan while the advisory says how to get back inside.
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  aksOffer,
  compareMinors,
  compareVersions,
  describeOffer,
  type IsoDate,
  isoDate,
  ISTIO_SUPPORT_SOURCE,
  ISTIO_RELEASES,
  istioRelease,
  istioReleasesSupporting,
  kubernetesChoices,
  kubernetesRange,
  minorOf,
  AKS_VERSIONS_SOURCE,
} from "../compatibility";
import { CLUSTER_KUBERNETES_VERSION_OUTPUT, CLUSTER_TYPES } from "../contract";
import { at, helmReleases, isIstioRelease, plain, str } from "../lib";
import { upgradePath } from "../upgrade";

const MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster";
const CANARY_UPGRADE_DOCS = "https://istio.io/latest/docs/setup/upgrade/canary/";

/** A cluster of the stack and the Kubernetes version it runs, where the pack can read it. */
interface ClusterVersion {
  urn: string;
  version: string;
  /** True when the stack only reads the cluster (its version comes from the cluster read). */
  existing: boolean;
}

/**
 * The clusters' Kubernetes versions: the output the cluster components register (contract.ts), and the input of a
 * ManagedCluster the stack declares without them. Unknown or absent values are left out: nothing to decide.
 */
function clusterVersions(resources: PolicyResource[]): ClusterVersion[] {
  const out: ClusterVersion[] = [];
  const components = resources.filter((r) => r.type === CLUSTER_TYPES.existing || r.type === CLUSTER_TYPES.created);
  for (const r of components) {
    const version = str(at(plain(r.props), CLUSTER_KUBERNETES_VERSION_OUTPUT));
    if (typeof version === "string" && minorOf(version)) {
      out.push({ urn: r.urn, version, existing: r.type === CLUSTER_TYPES.existing });
    }
  }
  if (components.length > 0) return out;
  for (const r of resources.filter((x) => x.type === MANAGED_CLUSTER)) {
    const version = str(at(plain(r.props), "kubernetesVersion"));
    if (typeof version === "string" && minorOf(version)) out.push({ urn: r.urn, version, existing: false });
  }
  return out;
}

/** The versions of the Istio releases of `charts`, oldest first. */
function chartVersions(resources: PolicyResource[], charts: string[]): string[] {
  const versions = helmReleases(resources)
    .filter((r) => isIstioRelease(r) === true && typeof r.chart === "string" && charts.includes(r.chart))
    .map((r) => r.version)
    .filter((v): v is string => typeof v === "string" && minorOf(v) !== undefined)
    .map((v) => v.replace(/^v/, ""));
  return [...new Set(versions)].sort(compareVersions);
}

/**
 * The running Istio and the revisions being added beside it: the oldest istiod version runs the cluster today; any
 * newer istiod is a canary hop. Without an istiod, the base chart's version stands for the running one.
 */
function runningAndNew(resources: PolicyResource[]): { running: string[]; added: string[] } {
  const istiods = chartVersions(resources, ["istiod"]);
  if (istiods.length === 0) return { running: chartVersions(resources, ["base"]), added: [] };
  return { running: istiods.slice(0, 1), added: istiods.slice(1) };
}

/** What is wrong with one Istio/Kubernetes pair on `today`, and what to do; undefined when nothing is. */
export function pairProblem(istioVersion: string, cluster: ClusterVersion, today: IsoDate): string | undefined {
  const release = istioRelease(istioVersion);
  const k8s = minorOf(cluster.version);
  if (!release || !k8s) return undefined; // a version the table does not know: nothing to decide from
  const supported = release.kubernetes.includes(k8s);
  const offer = aksOffer(k8s, today);
  // A version AKS keeps only under long-term support is still offered: a stack may choose LTS (and pay for Premium).
  if (supported && offer.offered) return undefined;

  const from = cluster.existing ? "as the cluster read reports" : "as configured";
  const facts: string[] = [];
  const steps: string[] = [];
  if (!supported) {
    facts.push(
      `Istio ${istioVersion} supports Kubernetes ${kubernetesRange(release)} only (${ISTIO_SUPPORT_SOURCE.url}, read ${ISTIO_SUPPORT_SOURCE.read})`,
    );
    const candidates = istioReleasesSupporting(k8s).filter((r) => compareMinors(r.minor, release.minor) > 0);
    steps.push(
      candidates.length > 0
        ? `upgrade Istio (aks-mesh:istio.version) with canary revisions, one hop at a time (${CANARY_UPGRADE_DOCS}), to a ` +
            `release that supports Kubernetes ${k8s}: ${candidates.map((r) => r.checkedPatch).join(", ")}`
        : `no Istio release of the table supports Kubernetes ${k8s}: move the cluster to a version an Istio release supports`,
    );
  }
  if (!offer.offered) {
    facts.push(
      offer.reason === "retired"
        ? `AKS no longer supports Kubernetes ${k8s}${offer.since ? ` (its long-term support ended ${offer.since})` : ""}`
        : `Kubernetes ${k8s} is not in AKS's release calendar`,
    );
  } else if (offer.plan === "AKSLongTermSupport") {
    facts.push(
      `AKS supports Kubernetes ${k8s} only under long-term support (Premium tier, supportPlan AKSLongTermSupport) until ${offer.until}`,
    );
  }
  if (!offer.offered) {
    const targets = kubernetesChoices(istioVersion, today);
    if (targets.length > 0) {
      steps.push(
        `upgrade the cluster one minor at a time (az aks upgrade) to ${targets.map(describeOffer).join(" or ")}`,
      );
    } else {
      // No version AKS offers runs this Istio: first an Istio release that runs on both the cluster's version and one
      // AKS offers, then the cluster, so that every step stays inside Istio's table.
      const bridge = istioReleasesSupporting(k8s)
        .filter((r) => compareMinors(r.minor, release.minor) > 0)
        .map((r) => ({ release: r, targets: kubernetesChoices(r.minor, today) }))
        .find((b) => b.targets.length > 0);
      steps.push(
        bridge
          ? `upgrade Istio (canary revisions, ${CANARY_UPGRADE_DOCS}) to ${bridge.release.checkedPatch} or a release ` +
              `between, which runs on Kubernetes ${k8s} and on ${bridge.targets.map(describeOffer).join(", ")}; then ` +
              "upgrade the cluster one minor at a time (az aks upgrade) to that version"
          : `keep the cluster on a version AKS supports (${AKS_VERSIONS_SOURCE.url}, read ${AKS_VERSIONS_SOURCE.read}), ` +
              "interleaving its upgrades with Istio's so each step stays inside both tables",
      );
    }
  }
  const hop = firstFixingHop(istioVersion, k8s, today);
  return (
    `The cluster runs Kubernetes ${cluster.version} (${from}) under Istio ${istioVersion}: ${facts.join("; ")}. ` +
    `To get back inside both tables: ${steps.join("; then ")}.${hop} docs/kubernetes-istio-versions.md has the steps.`
  );
}

/**
 * The hop plan's first steps up to the one that brings the pair inside both tables (policy/upgrade.ts), toward the
 * newest release of the table, as a sentence; "" when no path exists.
 */
function firstFixingHop(istioVersion: string, k8s: string, today: IsoDate): string {
  const target = ISTIO_RELEASES[0]?.checkedPatch;
  if (!target) return "";
  const path = upgradePath({ istio: istioVersion, kubernetes: k8s }, target, today);
  if (!path.ok || path.insideAfter === 0) return "";
  const steps = path.steps
    .slice(0, path.insideAfter)
    .map((s) =>
      s.kind === "istio"
        ? `Istio ${s.from} -> ${s.to} (canary revision ${s.toRevision})`
        : `Kubernetes ${s.from} -> ${s.to} (az aks upgrade)`,
    );
  return ` The hop that fixes it: ${steps.join(", then ")} (npm run plan -- <stack> --upgrade-to ${target} prints every step).`;
}

/** The policy, with the day it judges AKS's offer on (tests pass a fixed one). */
export function clusterKubernetesVersionPolicy(today: () => IsoDate): StackValidationPolicy & Why {
  return {
    name: "istio-supports-cluster-kubernetes-version",
    description:
      "The cluster runs a Kubernetes version the installed Istio supports (Istio's support table) and AKS still offers, " +
      "under standard or long-term support (AKS release calendar); otherwise the advisory says which upgrades bring it back.",
    enforcementLevel: "advisory",
    why: "an existing cluster is outside Istio's or AKS's support; a created cluster is refused by config",
    validateStack: (args, report: ReportViolation) => {
      const clusters = clusterVersions(args.resources);
      const istio = runningAndNew(args.resources).running;
      const day = today();
      for (const cluster of clusters) {
        for (const version of istio) {
          const problem = pairProblem(version, cluster, day);
          if (problem) report(problem, cluster.urn);
        }
      }
    },
  };
}

export const istioSupportsClusterKubernetesVersion = clusterKubernetesVersionPolicy(() => isoDate(new Date()));

/** The canary half: a revision added beside the running one must support the cluster's Kubernetes version. */
export const istioCanarySupportsClusterKubernetesVersion: StackValidationPolicy & Why = {
  name: "istio-canary-supports-cluster-kubernetes-version",
  description:
    "A revision added beside the running one (a canary hop: an istiod newer than the oldest installed) supports the " +
    "cluster's Kubernetes version in Istio's support table: a hop must land inside it, unlike a running Istio that an " +
    `AKS upgrade left outside (that one is advisory, istio-supports-cluster-kubernetes-version; ${ISTIO_SUPPORT_SOURCE.url}).`,
  enforcementLevel: "mandatory",
  why: "a hop must land on an Istio release that supports the cluster",
  validateStack: (args, report: ReportViolation) => {
    const { added } = runningAndNew(args.resources);
    for (const cluster of clusterVersions(args.resources)) {
      const k8s = minorOf(cluster.version);
      for (const version of added) {
        const release = istioRelease(version);
        if (!release || !k8s || release.kubernetes.includes(k8s)) continue;
        const fits = istioReleasesSupporting(k8s).map((r) => r.checkedPatch);
        report(
          `The canary revision runs Istio ${version}, which supports Kubernetes ${kubernetesRange(release)} only, and ` +
            `the cluster runs ${cluster.version} (${cluster.existing ? "as the cluster read reports" : "as configured"}; ` +
            `${ISTIO_SUPPORT_SOURCE.url}). Choose a hop target that supports it (${fits.join(", ") || "none in the table"}; ` +
            "npm run plan -- <stack> --upgrade-to X.Y.Z interleaves the AKS upgrades), config aks-mesh:istio.revisions.",
          cluster.urn,
        );
      }
    }
  },
};
