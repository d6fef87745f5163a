// The canary-upgrade policies: the hop limit, a canary revision on the cluster's Kubernetes version, base and the other
// charts beside two revisions, and nothing pointing at a revision the stack no longer installs.
import {
  clusterKubernetesVersionPolicy,
  istioCanarySupportsClusterKubernetesVersion,
} from "../../../policy/install/cluster-version";
import { istioCanaryHopWithinTwoMinors, istioHelmReleasesSameVersion } from "../../../policy/install/helm-releases";
import { istioRevisionRemovedOnlyWhenUnreferenced } from "../../../policy/install/revision-references";
import { CLUSTER_KUBERNETES_VERSION_OUTPUT, CLUSTER_TYPES } from "../../../policy/contract";
import { type Case, type Fixture, gatewayDeployment, helmRelease, kube, runCases, runPreviewSafety } from "../fixtures";

const rev = (version: string) => version.replace(/\./g, "-");
const istiod = (version: string): Fixture => ({
  ...helmRelease("istiod", { version, name: `istiod-${rev(version)}`, values: { revision: rev(version) } }),
  name: `istio-istiod-${rev(version)}`,
});
const base = (version: string, defaultRevision: string): Fixture =>
  helmRelease("base", { version, values: { defaultRevision } });
const existingCluster = (version: string): Fixture => ({
  type: CLUSTER_TYPES.existing,
  name: "cluster",
  props: { [CLUSTER_KUBERNETES_VERSION_OUTPUT]: version },
});
/** A revision tag's webhook as components/istio/revision-tags.ts renders it (labels only: what the policy reads). */
const tag = (name: string, revision: string): Fixture =>
  kube(
    "admissionregistration.k8s.io/v1",
    "MutatingWebhookConfiguration",
    `istio-revision-tag-${name}`,
    { webhooks: [] },
    {
      labels: { "istio.io/tag": name, "istio.io/rev": revision },
    },
  );
const gatewayOn = (revision: string): Fixture => {
  const gw = gatewayDeployment();
  const props = structuredClone(gw.props) as { spec: { template: { metadata: { labels: Record<string, string> } } } };
  props.spec.template.metadata.labels["istio.io/rev"] = revision;
  return { ...gw, props };
};

const cases: Case[] = [
  {
    title: "accepts 1.23.4 and its canary 1.25.5 side by side with base at the newer version",
    policy: istioHelmReleasesSameVersion,
    fixtures: [base("1.25.5", "1-23-4"), istiod("1.23.4"), istiod("1.25.5")],
  },
  {
    title: "rejects a canary whose CRDs stayed behind: base 1.23.4 under istiod 1.25.5",
    policy: istioHelmReleasesSameVersion,
    fixtures: [base("1.23.4", "1-23-4"), istiod("1.23.4"), istiod("1.25.5")],
    rejects: /"base" installs 1\.23\.4 while the newest istiod revision runs 1\.25\.5/,
    count: 1,
  },
  {
    title: "rejects a gateway chart at a version no installed revision runs",
    policy: istioHelmReleasesSameVersion,
    fixtures: [
      base("1.25.5", "1-23-4"),
      istiod("1.23.4"),
      istiod("1.25.5"),
      helmRelease("gateway", { version: "1.24.6" }),
    ],
    rejects: /"gateway" installs 1\.24\.6, the version of no installed istiod revision \(1\.23\.4, 1\.25\.5\)/,
    count: 1,
  },
  {
    title: "accepts a canary hop of two minors (1.23.4 beside 1.25.5)",
    policy: istioCanaryHopWithinTwoMinors,
    fixtures: [base("1.25.5", "1-23-4"), istiod("1.23.4"), istiod("1.25.5")],
  },
  {
    title: "refuses a canary hop of three minors (1.23.4 beside 1.26.8), citing Istio's canary-upgrade docs",
    policy: istioCanaryHopWithinTwoMinors,
    fixtures: [base("1.26.8", "1-23-4"), istiod("1.23.4"), istiod("1.26.8")],
    rejects:
      /istiod 1\.26\.8 runs beside 1\.23\.4: a hop of 3 minors.*allows 2 \(https:\/\/istio\.io\/latest\/docs\/setup\/upgrade\/canary\/\)/,
    count: 1,
  },
  {
    title: "refuses a canary that does not support the existing cluster's Kubernetes (1.27.9 on 1.28)",
    policy: istioCanarySupportsClusterKubernetesVersion,
    fixtures: [existingCluster("1.28.15"), base("1.27.9", "1-25-5"), istiod("1.25.5"), istiod("1.27.9")],
    rejects:
      /canary revision runs Istio 1\.27\.9, which supports Kubernetes 1\.29–1\.33 only, and the cluster runs 1\.28\.15/,
    count: 1,
  },
  {
    title:
      "accepts a canary that supports the cluster, even when the running revision no longer does (1.25.5 beside 1.23.4 on 1.32)",
    policy: istioCanarySupportsClusterKubernetesVersion,
    fixtures: [existingCluster("1.32.7"), base("1.25.5", "1-23-4"), istiod("1.23.4"), istiod("1.25.5")],
  },
  {
    title: "keeps the running revision's pair advisory and names the hop that fixes it (1.23.4 on 1.32)",
    policy: clusterKubernetesVersionPolicy(() => "2026-11-30"),
    fixtures: [existingCluster("1.32.7"), base("1.25.5", "1-23-4"), istiod("1.23.4"), istiod("1.25.5")],
    rejects: /under Istio 1\.23\.4:.*The hop that fixes it: Istio 1\.23\.4 -> 1\.25\.5 \(canary revision 1-25-5\)/,
    count: 1,
  },
  {
    title: "accepts removing the old revision once tags, base and the gateway point at the new one",
    policy: istioRevisionRemovedOnlyWhenUnreferenced,
    fixtures: [base("1.25.5", "1-25-5"), istiod("1.25.5"), tag("prod-stable", "1-25-5"), gatewayOn("prod-stable")],
  },
  {
    title: "accepts a gateway on the canary's own revision name while both run",
    policy: istioRevisionRemovedOnlyWhenUnreferenced,
    fixtures: [
      base("1.25.5", "1-23-4"),
      istiod("1.23.4"),
      istiod("1.25.5"),
      tag("prod-stable", "1-23-4"),
      gatewayOn("1-25-5"),
    ],
  },
  {
    title: "refuses removing a revision a tag still points at",
    policy: istioRevisionRemovedOnlyWhenUnreferenced,
    fixtures: [base("1.25.5", "1-25-5"), istiod("1.25.5"), tag("prod-stable", "1-23-4")],
    rejects: /Revision tag "prod-stable" .* points at revision "1-23-4", which the stack does not install \(1-25-5\)/,
    count: 1,
  },
  {
    title: "refuses removing the revision base.defaultRevision still names",
    policy: istioRevisionRemovedOnlyWhenUnreferenced,
    fixtures: [base("1.25.5", "1-23-4"), istiod("1.25.5")],
    rejects: /base\.defaultRevision is "1-23-4", a revision the stack does not install/,
    count: 1,
  },
  {
    title: "refuses removing the revision the gateway's pods still point at",
    policy: istioRevisionRemovedOnlyWhenUnreferenced,
    fixtures: [base("1.25.5", "1-25-5"), istiod("1.25.5"), gatewayOn("1-23-4")],
    rejects:
      /Deployment istio-ingress\/istio-ingressgateway labels its pods istio\.io\/rev=1-23-4, neither an installed revision nor a tag/,
    count: 1,
  },
];

describe("canary upgrade policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
});
