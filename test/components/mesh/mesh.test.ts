// The mesh area as one component: the namespaces it enrols and, when config sidecars.enabled, the Sidecar of each
// application namespace scoped to what the service graph says it calls.
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../../config";
import type { Harness } from "../../harness";
import { mockRuntime } from "../../harness";

const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  // web (front) calls api (back); api calls a payment provider; a report job namespace calls api too.
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    api: {
      namespace: "back",
      ports: [{ port: 8080, protocol: "http" }],
      callers: { services: ["web"], namespaces: ["reports"] },
      external: [{ host: "pay.example.com" }],
    },
    legacy: { namespace: "old", ports: [{ port: 80, protocol: "http" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([
    { name: "front", existing: false },
    { name: "back" },
    { name: "reports" },
  ]),
  "aks-mesh:outsideMeshNamespaces": JSON.stringify([{ name: "old", reason: "not ready for a sidecar" }]),
};

async function meshOf(raw: Record<string, string>, seen?: (m: { services: unknown }) => void): Promise<Harness> {
  const h = await mockRuntime();
  const { Mesh } = await import("../../../components/mesh");
  const { testCluster, testControlPlane } = await import("../../support/handles");
  // Stands for istiod's release: what "after istiod" waits for.
  const ready = [new k8s.core.v1.ConfigMap("istiod-ready", {})];
  const mesh = new Mesh("mesh", {
    config: parseConfig(raw, { project: "aks-mesh", stack: "test" }),
    handles: { cluster: testCluster(), controlPlane: testControlPlane({ namespace: "mesh-root", ready }) },
  });
  seen?.(mesh);
  await h.settle();
  return h;
}

test("hands the footprint report every service of the graph with its declared replicas", async () => {
  const services = JSON.parse(base["aks-mesh:services"]) as Record<string, Record<string, unknown>>;
  const raw = { ...base, "aks-mesh:services": JSON.stringify({ ...services, api: { ...services.api, replicas: 4 } }) };
  let found: unknown;
  await meshOf(raw, (m) => (found = m.services));
  expect(found).toEqual(
    expect.arrayContaining([
      { name: "web", namespace: "front", replicas: null },
      { name: "api", namespace: "back", replicas: 4 },
      { name: "legacy", namespace: "old", replicas: null },
    ]),
  );
});

const SIDECAR = "kubernetes:networking.istio.io/v1:Sidecar";

describe("with sidecars on", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await meshOf({ ...base, "aks-mesh:sidecars": JSON.stringify({ enabled: true }) });
  });

  test("sends one namespace-wide Sidecar named default per application namespace, none outside the mesh", () => {
    const sidecars = h.all(SIDECAR).map((r) => r.inputs.metadata as { name: string; namespace: string });
    sidecars.sort((a, b) => a.namespace.localeCompare(b.namespace));
    expect(sidecars).toEqual([
      expect.objectContaining({ name: "default", namespace: "back" }),
      expect.objectContaining({ name: "default", namespace: "front" }),
      expect.objectContaining({ name: "default", namespace: "reports" }),
    ]);
    for (const r of h.all(SIDECAR)) {
      expect(r.inputs.apiVersion).toBe("networking.istio.io/v1");
      expect(r.inputs.spec).not.toHaveProperty("workloadSelector");
    }
  });

  test("gives a namespace its own services and the control plane's namespace, nothing more when it calls nothing", () => {
    expect(h.one(SIDECAR, "mesh-sidecar-back").inputs.spec).toEqual({
      egress: [{ hosts: ["./*", "mesh-root/*", "*/pay.example.com"] }],
    });
  });

  test("gives a namespace calling another the called service's host", () => {
    expect(h.one(SIDECAR, "mesh-sidecar-front").inputs.spec).toEqual({
      egress: [{ hosts: ["./*", "mesh-root/*", "back/api.back.svc.cluster.local"] }],
    });
  });

  test("gives a caller namespace without services of its own what it calls", () => {
    expect(h.one(SIDECAR, "mesh-sidecar-reports").inputs.spec).toEqual({
      egress: [{ hosts: ["./*", "mesh-root/*", "back/api.back.svc.cluster.local"] }],
    });
  });

  test("creates each Sidecar after istiod and after the namespace it lives in", () => {
    const front = h.one(SIDECAR, "mesh-sidecar-front");
    expect(front.dependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/kubernetes:core\/v1:ConfigMap::istiod-ready$/),
        expect.stringMatching(/kubernetes:core\/v1:Namespace::mesh-namespaces-front$/),
      ]),
    );
  });

  test("keeps the namespaces' URNs of the days they were enrolled at the top level", () => {
    const ns = h.one("aks-mesh:istio:MeshNamespaces", "mesh-namespaces");
    expect(ns.parent).toMatch(/aks-mesh:mesh:Mesh::mesh$/);
    expect(ns.aliases).toContain("urn:pulumi:test::aks-mesh::aks-mesh:istio:MeshNamespaces::mesh-namespaces");
  });
});

test("sends no Sidecar when sidecars are off", async () => {
  const h = await meshOf(base);
  expect(h.all(SIDECAR)).toEqual([]);
  expect(h.all("kubernetes:core/v1:NamespacePatch").length).toBe(2);
});
