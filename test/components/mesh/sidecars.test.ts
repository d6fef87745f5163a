// The egress of a namespace's Sidecar, as a pure function of the resolved graph.
import { parseConfig } from "../../../config";
import { sidecarEgressHosts } from "../../../components/mesh";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "shop", ports: [{ port: 80, protocol: "http" }] },
    cart: { namespace: "shop", ports: [{ port: 80, protocol: "http" }], callers: { services: ["web"] } },
    api: {
      namespace: "back",
      ports: [{ port: 8080, protocol: "http" }],
      callers: { services: ["web"] },
      external: [{ host: "b.example.com" }, { host: "a.example.com", port: 8443, protocol: "https" }],
    },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "shop" }, { name: "back" }]),
  "aks-mesh:observability": JSON.stringify({ host: "monitoring.example.com" }),
  "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0/B0/x",
};
const { graph } = parseConfig(raw, { project: "aks-mesh", stack: "test" }).mesh;
const scope = { controlPlaneNamespace: "istio-system" };

test("lets the proxies reach the telemetry back ends of the observability namespace when the layer is on", () => {
  expect(sidecarEgressHosts(graph.namespaces.shop!, graph, scope)).toContain("monitoring/*");
});

test("lists a service of the namespace's own once, through ./*", () => {
  expect(sidecarEgressHosts(graph.namespaces.shop!, graph, scope)).toEqual([
    "./*",
    "istio-system/*",
    "monitoring/*",
    "back/api.back.svc.cluster.local",
  ]);
});

test("lists each external host of the namespace's services in any namespace, sorted", () => {
  expect(sidecarEgressHosts(graph.namespaces.back!, graph, scope).slice(-2)).toEqual([
    "*/a.example.com",
    "*/b.example.com",
  ]);
});
