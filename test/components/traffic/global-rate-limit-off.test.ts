// traffic.globalRateLimit off: a stack that keeps its limits but sets enabled false (the documented rollback) gets no
// ratelimit service, no Redis, no namespace and no gateway filter. Its own file: one Pulumi runtime per test file.
import { planTraffic } from "./plan";

test("enabled false with limits kept creates nothing of global rate limiting", async () => {
  const h = await planTraffic(
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
    [{ revision: "1-23-4", version: "1.23.4" }],
  );
  // The Traffic component itself is there (its children decide on config): nothing under it is global rate limiting.
  expect(h.resources().filter((r) => r.type === "aks-mesh:traffic:Traffic")).toHaveLength(1);
  expect(h.resources().filter((r) => r.urn.includes("GlobalRateLimit"))).toEqual([]);
  expect(h.resources().filter((r) => JSON.stringify(r.inputs).includes("ratelimit"))).toEqual([]);
});
