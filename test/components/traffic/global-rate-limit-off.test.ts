// traffic.globalRateLimit off: a stack that keeps its limits but sets enabled false (the documented rollback) gets no
// ratelimit service, no Redis, no namespace and no gateway filter. Its own file: one Pulumi runtime per test file.
import { parseConfig } from "../../../config";
import { mockRuntime } from "../../harness";

test("enabled false with limits kept creates nothing of global rate limiting", async () => {
  const h = await mockRuntime();
  const { Traffic } = await import("../../../components/traffic");
  const { Ingress } = await import("../../../components/ingress");
  const { Mesh } = await import("../../../components/mesh");
  const { testCluster, testControlPlane } = await import("../../support/handles");
  const config = parseConfig(
    {
      "aks-mesh:environment": "development",
      "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
      "aks-mesh:ingress": JSON.stringify({
        hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
      }),
      "aks-mesh:services": JSON.stringify({ web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] } }),
      "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }]),
      "aks-mesh:traffic": JSON.stringify({
        globalRateLimit: {
          enabled: false,
          limits: [{ host: "shop.example.com", requestsPerUnit: 10, unit: "second" }],
        },
      }),
    },
    { project: "aks-mesh", stack: "test" },
  );
  const cluster = testCluster();
  const controlPlane = testControlPlane();
  const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
  const gateway = new Ingress("ingress", { config, handles: { cluster, controlPlane, mesh } }).handle;
  new Traffic("traffic", { config, handles: { cluster, controlPlane, mesh, gateway } });
  await h.settle();
  // The Traffic component itself is there (its children decide on config): nothing under it is global rate limiting.
  expect(h.resources().filter((r) => r.type === "aks-mesh:traffic:Traffic")).toHaveLength(1);
  expect(h.resources().filter((r) => r.urn.includes("GlobalRateLimit"))).toEqual([]);
  expect(h.resources().filter((r) => JSON.stringify(r.inputs).includes("ratelimit"))).toEqual([]);
});
