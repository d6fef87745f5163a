// The mesh footprint (policy/proxy/footprint.ts), the node pool's allocatable as AKS reserves it
// (policy/lib/node-pool.ts, learn.microsoft.com/azure/aks/node-resource-reservations), and the policy capping the
// Envoy proxies' share of it.
import {
  CLUSTER_KUBERNETES_VERSION_OUTPUT,
  CLUSTER_NODE_POOL_OUTPUT,
  CLUSTER_TYPES,
  MESH_SERVICES_OUTPUT,
} from "../../../policy/contract";
import { allocatable } from "../../../policy/lib/node-pool";
import { meshFootprint } from "../../../policy/proxy/footprint";
import { meshFootprintWithinNodeShare } from "../../../policy/proxy/footprint-share";
import {
  type Case,
  type Fixture,
  gatewayDeployment,
  helmRelease,
  istio,
  kube,
  namespace,
  runCases,
  runCoverage,
  runPreviewSafety,
  urnOf,
} from "../fixtures";

const existingCluster = (pool?: { vmSize: string; count: number; maxPods: number }, version = "1.32.7"): Fixture => ({
  type: CLUSTER_TYPES.existing,
  name: "cluster",
  props: { [CLUSTER_KUBERNETES_VERSION_OUTPUT]: version, ...(pool ? { [CLUSTER_NODE_POOL_OUTPUT]: pool } : {}) },
});

const istiod = (proxy: unknown): Fixture =>
  helmRelease("istiod", {
    values: { global: { proxy: { resources: proxy } }, pilot: { autoscaleMin: 2, autoscaleMax: 5 } },
  });

const SIDECAR_1GI = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } };
const SIDECAR_8GI = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "8Gi" } };

const hpa = (min: number, max: number): Fixture =>
  kube(
    "autoscaling/v2",
    "HorizontalPodAutoscaler",
    "istio-ingressgateway",
    {
      spec: {
        minReplicas: min,
        maxReplicas: max,
        scaleTargetRef: { kind: "Deployment", name: "istio-ingressgateway" },
      },
    },
    { namespace: "istio-ingress" },
  );

const routes = istio(
  "VirtualService",
  "app",
  {
    hosts: ["app.example.com"],
    gateways: ["istio-ingress/public"],
    http: [
      { match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "api.shop.svc.cluster.local" } }] },
      { route: [{ destination: { host: "web.shop.svc.cluster.local" } }] },
    ],
  },
  { namespace: "istio-ingress" },
);

/** A mesh of two services in one injected namespace, a gateway of 2-6 replicas, istiod of 2-5. */
function mesh(proxy: unknown, pool?: { vmSize: string; count: number; maxPods: number }): Fixture[] {
  return [
    existingCluster(pool),
    istiod(proxy),
    namespace("shop", { "istio.io/rev": "1-23-4" }),
    namespace("istio-ingress"),
    gatewayDeployment("istio-ingress", {
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "2", memory: "1Gi" },
    }),
    hpa(2, 6),
    routes,
  ];
}

const asResources = (fixtures: Fixture[]) => fixtures.map((f) => ({ type: f.type, urn: urnOf(f), props: f.props }));

describe("allocatable", () => {
  test("AKS 1.29+: kube-reserved is the lesser of 20 MiB per max pod + 50 MiB and 25% of memory, plus 100 MiB eviction", () => {
    // The page's example: 8 GB, 30 pods -> 650 reserved, 100 eviction.
    const a = allocatable({ vmSize: "Standard_D2s_v5", count: 3, maxPods: 30, kubernetesVersion: "1.30.5" });
    expect(a).toMatchObject({
      perNode: { cpuMillis: 2000 - 100, memoryMiB: 8192 - 650 - 100 },
      pool: { cpuMillis: 3 * 1900, memoryMiB: 3 * 7442 },
    });
  });

  test("AKS 1.29+: 250 max pods reserve 25% of a 16 GiB node", () => {
    const a = allocatable({ vmSize: "Standard_D4s_v5", count: 1, maxPods: 250, kubernetesVersion: "1.32" });
    expect(a).toMatchObject({ perNode: { cpuMillis: 4000 - 140, memoryMiB: 16384 - 4096 - 100 } });
  });

  test("before 1.29: the regressive reservation (25% of 4 GiB, 20% of the next 4, 10% of the next 8) and 750 MiB eviction", () => {
    const a = allocatable({ vmSize: "Standard_D4s_v5", count: 1, maxPods: 250, kubernetesVersion: "1.28.9" });
    expect(a).toMatchObject({ perNode: { memoryMiB: Math.round(16384 - (1024 + 819.2 + 819.2) - 750) } });
  });

  test("a VM size outside the table is named rather than guessed", () => {
    expect(allocatable({ vmSize: "Standard_X9_v9", count: 1, maxPods: 30 })).toMatch(
      /Standard_X9_v9 is not in the table/,
    );
  });
});

describe("meshFootprint", () => {
  test("counts two replicas per routed service in an injected namespace, the gateway at its HPA range, istiod at its autoscaling range", () => {
    const f = meshFootprint(asResources(mesh(SIDECAR_1GI)));
    const byKind = Object.fromEntries(f.items.map((i) => [i.kind, i]));
    expect(byKind.sidecars?.replicas).toEqual({ min: 4, max: 4 });
    expect(byKind.sidecars?.replicasFrom).toMatch(
      /routed to by the VirtualServices\): shop\/api x2 \(estimate\), shop\/web x2/,
    );
    expect(byKind.gateway?.replicas).toEqual({ min: 2, max: 6 });
    expect(byKind.istiod?.replicas).toEqual({ min: 2, max: 5 });
    expect(byKind.istiod?.requests).toEqual({ cpuMillis: 500, memoryMiB: 2048 });
    // Envoy at max: 4 sidecars x 100m/128Mi + 6 gateways x 500m/512Mi.
    expect(f.totals.envoy.max.requests).toEqual({ cpuMillis: 4 * 100 + 6 * 500, memoryMiB: 4 * 128 + 6 * 512 });
  });

  test("counts each istiod of a canary upgrade, the old and the new revision's, at its own autoscaling range", () => {
    const canary = helmRelease("istiod", {
      name: "istiod-1-25-5",
      version: "1.25.5",
      values: { pilot: { autoscaleMin: 1, autoscaleMax: 3 } },
    });
    const f = meshFootprint(asResources([...mesh(SIDECAR_1GI), { ...canary, name: "istio-istiod-1-25-5" }]));
    const istiods = f.items.filter((i) => i.kind === "istiod");
    expect(istiods.map((i) => [i.name, i.replicas])).toEqual([
      ["istiod-1-23-4", { min: 2, max: 5 }],
      ["istiod-1-25-5", { min: 1, max: 3 }],
    ]);
  });

  test("counts the services of aks-mesh:services with their declared replicas, the others at the estimate", () => {
    const graph: Fixture = {
      type: "aks-mesh:istio:MeshNamespaces",
      name: "mesh-namespaces",
      props: {
        [MESH_SERVICES_OUTPUT]: [
          { name: "api", namespace: "shop", replicas: 5 },
          { name: "worker", namespace: "shop", replicas: null },
          { name: "legacy", namespace: "outside", replicas: 3 },
        ],
      },
    };
    const f = meshFootprint(asResources([...mesh(SIDECAR_1GI), graph]));
    const sidecars = f.items.find((i) => i.kind === "sidecars");
    // "outside" has no injection label: its pods run without sidecars.
    expect(sidecars?.replicas).toEqual({ min: 7, max: 7 });
    expect(sidecars?.replicasFrom).toMatch(/aks-mesh:services\): shop\/api x5, shop\/worker x2 \(estimate\)$/);
  });

  test("says the node pool is unknown instead of guessing a share", () => {
    const f = meshFootprint(asResources(mesh(SIDECAR_1GI)));
    expect(f.nodePool).toEqual({ unknown: expect.stringMatching(/aks-mesh:cluster\.nodePool/) });
    expect(f.share).toBeUndefined();
  });

  test("cutting the sidecar memory limit from 8Gi to 1Gi moves the limited share, not the requested one", () => {
    const pool = { vmSize: "Standard_D4s_v5", count: 3, maxPods: 110 };
    const before = meshFootprint(asResources(mesh(SIDECAR_8GI, pool)));
    const after = meshFootprint(asResources(mesh(SIDECAR_1GI, pool)));
    expect(after.share?.envoy.max.requests).toEqual(before.share?.envoy.max.requests);
    expect(after.share?.envoy.max.limits.memory).toBeLessThan(before.share?.envoy.max.limits.memory ?? 0);
    expect(before.totals.envoy.max.limits.memoryMiB - after.totals.envoy.max.limits.memoryMiB).toBe(4 * 7 * 1024);
  });

  test("reads a created cluster's pool from its ManagedCluster, with Azure CNI Overlay's 250 max pods", () => {
    const managed: Fixture = {
      type: "azure-native:containerservice:ManagedCluster",
      name: "cluster-aks",
      props: {
        kubernetesVersion: "1.32",
        agentPoolProfiles: [{ name: "system", count: 2, vmSize: "Standard_D4s_v5" }],
      },
    };
    const f = meshFootprint(asResources([managed, ...mesh(SIDECAR_1GI).slice(1)]));
    expect(f.nodePool).toMatchObject({ pool: { vmSize: "Standard_D4s_v5", count: 2, maxPods: 250 } });
  });
});

const SMALL_POOL = { vmSize: "Standard_D2s_v5", count: 2, maxPods: 110 };
const LARGE_POOL = { vmSize: "Standard_D8s_v5", count: 6, maxPods: 110 };

const cases: Case[] = [
  {
    title: "rejects Envoy requests above the CPU cap of a small pool (gateway at its HPA maximum)",
    policy: meshFootprintWithinNodeShare,
    fixtures: mesh(SIDECAR_1GI, SMALL_POOL),
    config: { maxCpuRequestPercent: 20, maxMemoryRequestPercent: 50 },
    rejects: /Envoy proxies request more of the node pool \(2 x Standard_D2s_v5.*CPU 3400m is .*% of 3800m \(cap 20%\)/,
    count: 1,
  },
  {
    title: "accepts the same mesh on a pool large enough for the cap",
    policy: meshFootprintWithinNodeShare,
    fixtures: mesh(SIDECAR_1GI, LARGE_POOL),
    config: { maxCpuRequestPercent: 20, maxMemoryRequestPercent: 20 },
  },
  {
    title: "accepts (cannot decide) when the node pool is unknown",
    policy: meshFootprintWithinNodeShare,
    fixtures: mesh(SIDECAR_1GI),
    config: { maxCpuRequestPercent: 1, maxMemoryRequestPercent: 1 },
  },
];

describe("mesh-footprint-within-node-share", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([meshFootprintWithinNodeShare], cases);
});
