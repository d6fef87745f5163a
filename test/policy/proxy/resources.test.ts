import { proxyPolicies } from "../../../policy/proxy";
import { meshFootprintWithinNodeShare } from "../../../policy/proxy/footprint-share";
import { proxyMemoryLimitWithinMax, proxyResourceRequestsSet } from "../../../policy/proxy/resources";
import {
  type Case,
  deployment,
  gatewayDeployment,
  helmRelease,
  runCases,
  runCoverage,
  runPreviewSafety,
} from "../fixtures";

const istiod = (resources: unknown) => ({
  ...helmRelease("istiod", { values: { global: { proxy: { resources } } } }),
  urn: "urn:pulumi:test::aks-mesh::aks-mesh:istio:IstioControlPlane$kubernetes:helm.sh/v3:Release::istio-istiod",
});
const sized = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } };

const cases: Case[] = [
  {
    title: "accepts sidecars limited to 1Gi with requests",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [istiod(sized)],
  },
  {
    title: "rejects sidecars limited above 1Gi and names the config key",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [istiod({ ...sized, limits: { memory: "2Gi" } })],
    rejects: /memory limit 2Gi, above the maximum 1Gi.*aks-mesh:istio\.proxy\.resources/,
  },
  {
    title: "rejects sidecars without a memory limit",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [istiod({ requests: sized.requests })],
    rejects: /no memory limit/,
  },
  {
    title: "rejects a gateway proxy container limited to 1100Mi",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [gatewayDeployment("istio-ingress", { ...sized, limits: { memory: "1100Mi" } })],
    rejects: /container istio-proxy of Deployment istio-ingressgateway has memory limit 1100Mi/,
  },
  {
    title: "accepts a stack-specific ceiling of 2Gi",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [istiod({ ...sized, limits: { memory: "2Gi" } })],
    config: { maxMemoryLimit: "2Gi" },
  },
  {
    title: "accepts decimal quantities below the ceiling (1000M < 1Gi)",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [gatewayDeployment("istio-ingress", { ...sized, limits: { memory: "1000M" } })],
  },
  {
    title: "rejects a workload that raises its own sidecar limit by annotation",
    policy: proxyMemoryLimitWithinMax,
    fixtures: [deployment("api", "api", { annotations: { "sidecar.istio.io/proxyMemoryLimit": "4Gi" } })],
    rejects: /sidecar\.istio\.io\/proxyMemoryLimit "4Gi", above the maximum 1Gi/,
  },
  {
    title: "accepts sidecars and gateways with CPU and memory requests",
    policy: proxyResourceRequestsSet,
    fixtures: [istiod(sized), gatewayDeployment()],
  },
  {
    title: "rejects sidecars without a CPU request",
    policy: proxyResourceRequestsSet,
    fixtures: [istiod({ requests: { memory: "128Mi" }, limits: sized.limits })],
    rejects: /no cpu request: set resources\.requests\.cpu \(config aks-mesh:istio\.proxy\.resources\)/,
  },
  {
    title: "rejects a gateway proxy without requests",
    policy: proxyResourceRequestsSet,
    fixtures: [gatewayDeployment("istio-ingress", { limits: sized.limits })],
    rejects: /container istio-proxy .* no cpu or memory request/,
  },
  {
    title: "rejects the gateway chart without requests",
    policy: proxyResourceRequestsSet,
    fixtures: [helmRelease("gateway", { values: { resources: { limits: { memory: "1Gi" } } } })],
    rejects: /gateway proxies \(gateway release values resources\) has no cpu or memory request/,
  },
];

describe("proxy policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  // mesh-footprint-within-node-share has its cases in footprint.test.ts.
  runCoverage(
    proxyPolicies.filter((p) => p !== meshFootprintWithinNodeShare),
    cases,
  );
});
