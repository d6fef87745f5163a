// The ingress area as one component: what it hands the other areas, and what it takes from the control plane's handle.
import type * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../../config";
import type { GatewayHandle } from "../../../components/ingress";
import { type Harness, mockRuntime, valueOf } from "../../harness";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingressGateway": JSON.stringify({ namespace: "mesh-root" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "www.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:services": JSON.stringify({ web: { namespace: "web", ports: [{ port: 80, protocol: "http" }] } }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "web" }]),
};

let h: Harness;
let handle: GatewayHandle;
beforeAll(async () => {
  h = await mockRuntime({ publicIpAddress: "20.249.144.238" });
  const { Ingress } = await import("../../../components/ingress");
  const { ExistingCluster } = await import("../../../components/cluster");
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  const cluster = new ExistingCluster("cluster", {
    resourceGroupName: "rg",
    clusterName: "aks",
    credentials: "admin",
    kubeloginMode: "azurecli",
    upsertExistingObjects: false,
  });
  const ready: pulumi.Resource[] = [];
  const ingress = new Ingress("ingress", {
    config: cfg,
    handles: {
      cluster,
      controlPlane: {
        version: "1.23.4",
        revision: "1-23-4",
        injectionRevision: "prod-stable",
        namespace: "mesh-root",
        ready,
        meshConfig: { extensionProviders: [] },
      },
    },
  });
  handle = ingress.handle;
  await h.settle();
});

test("hands the other areas the gateway's namespace, workload, pod selector and Gateway reference", () => {
  expect(handle).toMatchObject({
    namespace: "mesh-root",
    name: "istio-ingressgateway",
    selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
    ref: "mesh-root/public-gateway",
    hosts: ["www.example.com"],
  });
});

test("hands over the static IP's address", async () => {
  expect(await valueOf(handle.address)).toBe("20.249.144.238");
});

test("injects the gateway from the revision (or tag) the control plane's handle names", () => {
  const deployment = h.one("kubernetes:apps/v1:Deployment", "ingress-gateway-deployment");
  expect(deployment.inputs).toMatchObject({
    spec: { template: { metadata: { labels: { "istio.io/rev": "prod-stable" } } } },
  });
});

test("creates no Namespace for a gateway in the control plane's namespace, which the base release owns", () => {
  expect(h.all("kubernetes:core/v1:Namespace")).toEqual([]);
  expect(handle.namespaceResource).toBeUndefined();
});
