import { installPolicies } from "../../../policy/install";
import { clusterKubernetesVersionPolicy } from "../../../policy/install/cluster-version";
import { CLUSTER_KUBERNETES_VERSION_OUTPUT, CLUSTER_TYPES } from "../../../policy/contract";
import { type Case, type Fixture, helmRelease, runCases, runCoverage, runPreviewSafety } from "../fixtures";

/** The policy judging AKS's offer on a fixed day: the day the table was read. */
const policy = clusterKubernetesVersionPolicy(() => "2026-11-30");

/** The cluster component as the program registers it: its Kubernetes version as an output (policy/contract.ts). */
function existingCluster(version: string): Fixture {
  return { type: CLUSTER_TYPES.existing, name: "cluster", props: { [CLUSTER_KUBERNETES_VERSION_OUTPUT]: version } };
}

const istio = (version: string): Fixture[] => [
  helmRelease("base", { version }),
  helmRelease("istiod", { version, name: `istiod-${version.replace(/\./g, "-")}` }),
];

const managedCluster = (kubernetesVersion: string): Fixture => ({
  type: "azure-native:containerservice:ManagedCluster",
  name: "cluster-aks",
  props: { resourceName: "aks-dev", kubernetesVersion },
});

const cases: Case[] = [
  {
    title:
      "advises an existing cluster on Kubernetes 1.32 under Istio 1.23.4: the releases that support 1.32, and AKS's LTS limit",
    policy,
    fixtures: [existingCluster("1.32.7"), ...istio("1.23.4")],
    rejects:
      /Kubernetes 1\.32\.7 \(as the cluster read reports\) under Istio 1\.23\.4: Istio 1\.23\.4 supports Kubernetes 1\.27–1\.30 only.*AKS supports Kubernetes 1\.32 only under long-term support.*until 2027-03-31.*upgrade Istio \(aks-mesh:istio\.version\) with canary revisions.*1\.25\.5, 1\.26\.8/,
    count: 1,
  },
  {
    title: "advises a cluster still on Kubernetes 1.30, inside Istio 1.23's range but no longer supported by AKS",
    policy,
    fixtures: [existingCluster("1.30.14"), ...istio("1.23.4")],
    rejects:
      /AKS no longer supports Kubernetes 1\.30 \(its long-term support ended 2026-07-31\).*upgrade Istio .* to 1\.24\.6 or a release between, which runs on Kubernetes 1\.30 and on 1\.31 \(LTS only.*then upgrade the cluster one minor at a time/,
    count: 1,
  },
  {
    title: "names the cluster upgrades AKS offers when Istio supports versions AKS still offers, LTS-only ones marked",
    policy,
    fixtures: [existingCluster("1.30.14"), ...istio("1.28.10")],
    rejects:
      /AKS no longer supports Kubernetes 1\.30.*upgrade the cluster one minor at a time \(az aks upgrade\) to 1\.31 \(LTS only: Premium tier.*or 1\.34 \(standard support until 2026-11-30\)/,
    count: 1,
  },
  {
    title: "accepts an existing cluster on a version AKS keeps under long-term support when Istio supports it",
    policy,
    fixtures: [existingCluster("1.33.3"), ...istio("1.29.6")],
  },
  {
    title: "reads a created cluster's version from its ManagedCluster when no cluster component registers one",
    policy,
    fixtures: [managedCluster("1.35"), ...istio("1.25.5")],
    rejects:
      /Kubernetes 1\.35 \(as configured\) under Istio 1\.25\.5: Istio 1\.25\.5 supports Kubernetes 1\.29–1\.32 only/,
    count: 1,
  },
  {
    title: "accepts Istio 1.25.5 on Kubernetes 1.32 under AKS long-term support, dev's pair",
    policy,
    fixtures: [{ ...existingCluster("1.32"), type: CLUSTER_TYPES.created }, ...istio("1.25.5")],
  },
  {
    title: "accepts Istio 1.29.6 on Kubernetes 1.35, inside both tables",
    policy,
    fixtures: [existingCluster("1.35.1"), ...istio("1.29.6")],
  },
  {
    title: "leaves an Istio version the table does not list alone: nothing to decide from",
    policy,
    fixtures: [existingCluster("1.32.7"), ...istio("1.19.3")],
  },
];

describe("istio-supports-cluster-kubernetes-version", () => {
  runCases(cases);
  runCoverage([policy], cases);
  runPreviewSafety(cases);

  test("is the policy the pack serves, under the same name", () => {
    expect(installPolicies.map((p) => p.name)).toContain(policy.name);
  });

  test("is advisory: an existing cluster outside the tables still plans", () => {
    expect(policy.enforcementLevel).toBe("advisory");
  });
});
