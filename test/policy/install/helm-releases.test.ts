import {
  istioHelmReleasePinned,
  istioHelmReleasesSameVersion,
  istioImageHubAllowed,
} from "../../../policy/install/helm-releases";
import { type Case, helmRelease, OFFICIAL_REPO, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const cases: Case[] = [
  {
    title: "accepts istiod pinned to 1.23.4 from the official repository",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("istiod")],
  },
  {
    title: "rejects an Istio release without a version",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("istiod", { version: undefined })],
    rejects: /has no version.*aks-mesh:istio\.version/,
  },
  {
    title: "rejects a version range that would float to a newer release",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("base", { version: "~1.23.0" })],
    rejects: /"~1\.23\.0", a range or tag/,
  },
  {
    title: "rejects Istio charts from an unofficial repository",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("istiod", { repositoryOpts: { repo: "https://charts.example.com/istio" } })],
    rejects: /comes from "https:\/\/charts\.example\.com\/istio".*istio-release\.storage\.googleapis\.com/,
  },
  {
    title: "accepts a mirror the stack allows in the policy config",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("istiod", { repositoryOpts: { repo: "https://mirror.example.com/charts/" } })],
    config: { allowedRepositories: [OFFICIAL_REPO, "https://mirror.example.com/charts"] },
  },
  {
    title: "rejects an OCI chart reference outside the official repository",
    policy: istioHelmReleasePinned,
    fixtures: [helmRelease("istiod", { chart: "oci://registry.example.com/istio/istiod", repositoryOpts: undefined })],
    rejects: /comes from "oci:\/\/registry\.example\.com\/istio"/,
  },
  {
    title: "leaves charts that are not Istio's alone",
    policy: istioHelmReleasePinned,
    fixtures: [
      {
        ...helmRelease("grafana", {
          version: undefined,
          repositoryOpts: { repo: "https://grafana.github.io/helm-charts" },
        }),
        name: "grafana",
      },
    ],
  },
  {
    title: "accepts base and istiod at the same version",
    policy: istioHelmReleasesSameVersion,
    fixtures: [helmRelease("base"), helmRelease("istiod", { values: { global: { tag: "1.23.4" } } })],
  },
  {
    title: "rejects a control plane upgraded without its CRDs (istiod 1.24.1, base 1.23.4, gateway 1.23.4)",
    policy: istioHelmReleasesSameVersion,
    fixtures: [helmRelease("base"), helmRelease("gateway"), helmRelease("istiod", { version: "1.24.1" })],
    rejects: /"istiod" installs 1\.24\.1 while the others install 1\.23\.4/,
    count: 1,
  },
  {
    title: "rejects an istiod image tag that differs from its chart version",
    policy: istioHelmReleasesSameVersion,
    fixtures: [helmRelease("base"), helmRelease("istiod", { values: { global: { tag: "1.22.0" } } })],
    rejects: /sets global\.tag "1\.22\.0"/,
    count: 1,
  },
  {
    title: "accepts istiod pulling from Istio's registry on Docker Hub",
    policy: istioImageHubAllowed,
    fixtures: [helmRelease("istiod", { values: { global: { hub: "docker.io/istio" } } })],
  },
  {
    title: "accepts a release that leaves global.hub to the chart's default",
    policy: istioImageHubAllowed,
    fixtures: [helmRelease("istiod"), helmRelease("base", { values: { global: { hub: "" } } })],
  },
  {
    title: "rejects istiod pulling from an arbitrary registry, naming the key to remove",
    policy: istioImageHubAllowed,
    fixtures: [helmRelease("istiod", { values: { global: { hub: "docker.io/someone" } } })],
    rejects: /pulls Istio's images from "docker\.io\/someone".*remove aks-mesh:istio\.hub.*allowedHubs/,
    count: 1,
  },
  {
    title: "accepts a mirror the stack allows in the policy config",
    policy: istioImageHubAllowed,
    fixtures: [helmRelease("istiod", { values: { global: { hub: "myacr.azurecr.io/istio/" } } })],
    config: { allowedHubs: ["docker.io/istio", "myacr.azurecr.io/istio"] },
  },
];

describe("istio install policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([istioHelmReleasePinned, istioHelmReleasesSameVersion, istioImageHubAllowed], cases);
});
