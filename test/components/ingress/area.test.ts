// The ingress area as one component: what it hands the other areas, and what it takes from the control plane's handle.
import type * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../../config";
import type { GatewayHandle } from "../../../components/ingress";
import { testCluster, testControlPlane } from "../../support/handles";
import { type Harness, mockRuntime, valueOf } from "../../harness";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingressGateway": JSON.stringify({ namespace: "mesh-root" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [
      {
        host: "www.example.com",
        routes: [
          { prefix: "/", service: "web" },
          { prefix: "/cart", service: "cart", delegate: true },
        ],
      },
    ],
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "web", ports: [{ port: 80, protocol: "http" }] },
    cart: { namespace: "shop", ports: [{ port: 8080, protocol: "http" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "web" }, { name: "shop", existing: false }]),
};

let h: Harness;
let handle: GatewayHandle;
beforeAll(async () => {
  h = await mockRuntime({ publicIpAddress: "20.249.144.238" });
  const { Ingress } = await import("../../../components/ingress");
  const k8s = await import("@pulumi/kubernetes");
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  // The application namespace the mesh area creates: a delegate VirtualService there must wait for it.
  const shop: pulumi.Resource = new k8s.core.v1.Namespace("shop-ns", { metadata: { name: "shop" } });
  const ingress = new Ingress("ingress", {
    config: cfg,
    handles: {
      cluster: testCluster(),
      controlPlane: testControlPlane({ injectionRevision: "prod-stable", namespace: "mesh-root" }),
      mesh: { namespaceReady: (ns) => (ns === "shop" ? [shop] : []) },
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

test("creates a delegate VirtualService only after the application namespace it goes to", () => {
  const delegate = h.one("kubernetes:networking.istio.io/v1:VirtualService", "app-routes-delegate-cart");
  expect(delegate.dependsOn).toContain(h.one("kubernetes:core/v1:Namespace", "shop-ns").urn);
});

test("creates no Namespace for a gateway in the control plane's namespace, which the base release owns", () => {
  expect(h.all("kubernetes:core/v1:Namespace").map((n) => n.name)).toEqual(["shop-ns"]);
  expect(handle.namespaceResource).toBeUndefined();
});
