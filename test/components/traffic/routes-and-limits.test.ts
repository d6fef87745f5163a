// The traffic area's routes and rate limits: each route knob in its VirtualService field (in-mesh <service>-mesh and
// the delegated <service>-public), port-level settings and locality in the DestinationRule, and one EnvoyFilter copy
// per installed proxy version whose patches target the gateway's or the sidecar's HTTP connection manager.
import type { InstalledRevision } from "../../../components/istio/handle";
import type { Harness } from "../../harness";
import { at, planTraffic } from "./plan";

const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
const EF = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter";

/** Route knobs: the value under aks-mesh:traffic.services.<s> and the VirtualService http[0] field it lands in. */
const ROUTE_KNOBS: [string, unknown, string, unknown][] = [
  ["timeout", "7s", "timeout", "7s"],
  ["retries", { attempts: 3 }, "retries", { attempts: 3 }],
  [
    "retries",
    { attempts: 2, perTryTimeout: "1s", retryOn: "5xx,503" },
    "retries",
    { attempts: 2, perTryTimeout: "1s", retryOn: "5xx,503" },
  ],
  [
    "fault",
    { delay: { percent: 5, fixedDelay: "2s" }, expires: "2099-01-01" },
    "fault",
    { delay: { percentage: { value: 5 }, fixedDelay: "2s" } },
  ],
  [
    "fault",
    { abort: { percent: 1.5, httpStatus: 503 }, expires: "2099-01-01" },
    "fault",
    { abort: { percentage: { value: 1.5 }, httpStatus: 503 } },
  ],
];

const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          { prefix: "/", service: "web" },
          { prefix: "/reviews", service: "reviews", port: 8080, delegate: true, timeout: "30s" },
        ],
      },
      {
        host: "secure.example.com",
        tls: { credentialName: "secure-tls", httpsRedirect: false },
        routes: [{ prefix: "/", service: "web" }],
      },
    ],
    tlsSecrets: { "secure-tls": ["istio-ingress"] },
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    reviews: {
      namespace: "back",
      replicas: 3,
      ports: [
        { port: 8080, protocol: "http" },
        { port: 9090, protocol: "grpc" },
      ],
    },
    ...Object.fromEntries(
      ROUTE_KNOBS.map((_, i) => [`route-${i}`, { namespace: "back", ports: [{ port: 80, protocol: "http" }] }]),
    ),
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back", existing: false }]),
};

const traffic = {
  services: {
    reviews: {
      outlierDetection: { consecutiveGatewayErrors: 3 },
      loadBalancer: {
        localityLbSetting: { distribute: [{ from: "kc/kc-1/*", to: { "kc/kc-1/*": 80, "kc/kc-2/*": 20 } }] },
      },
      ports: { "9090": { connectionPool: { http: { http2MaxRequests: 500 } } } },
      timeout: "5s",
      retries: { attempts: 2, perTryTimeout: "2s", retryOn: "gateway-error" },
      rateLimit: { maxTokens: 20, tokensPerFill: 10, fillInterval: "500ms" },
      expectedConcurrency: 10,
    },
    ...Object.fromEntries(ROUTE_KNOBS.map(([knob, value], i) => [`route-${i}`, { [knob]: value }])),
  },
  gatewayRateLimits: [
    { host: "secure.example.com", maxTokens: 100, tokensPerFill: 50, fillInterval: "1s" },
    { host: "shop.example.com", prefix: "/reviews", maxTokens: 10, fillInterval: "1s" },
  ],
};

function trafficOf(revisions: InstalledRevision[]): Promise<Harness> {
  return planTraffic({ ...base, "aks-mesh:traffic": JSON.stringify(traffic) }, revisions);
}

let h: Harness;
beforeAll(async () => {
  h = await trafficOf([{ revision: "1-23-4", version: "1.23.4" }]);
});

describe("route knobs", () => {
  test.each(ROUTE_KNOBS.map((k, i) => [...k, i] as const))("%s = %p -> http[0].%s", (_k, _v, field, sent, i) => {
    const spec = h.one(VS, `traffic-vs-route-${i}`).inputs.spec as { http: Record<string, unknown>[] };
    expect(spec.http).toHaveLength(1);
    expect(spec.http[0]?.[field]).toEqual(sent);
  });

  test("the in-mesh VirtualService is <service>-mesh for the cluster-local host, one named route, no port", () => {
    const vs = h.one(VS, "traffic-vs-reviews").inputs;
    expect(at(vs, "metadata")).toMatchObject({ name: "reviews-mesh", namespace: "back" });
    expect(vs.spec).toEqual({
      hosts: ["reviews.back.svc.cluster.local"],
      http: [
        {
          name: "reviews",
          route: [{ destination: { host: "reviews.back.svc.cluster.local" } }],
          timeout: "5s",
          retries: { attempts: 2, perTryTimeout: "2s", retryOn: "gateway-error" },
        },
      ],
    });
  });

  test("the delegated public route carries the same timeout and retries, replacing the host route's timeout", () => {
    const http = at(h.one(VS, "app-routes-delegate-reviews").inputs, "spec.http") as Record<string, unknown>[];
    expect(http[0]).toMatchObject({
      timeout: "5s",
      retries: { attempts: 2, perTryTimeout: "2s", retryOn: "gateway-error" },
    });
  });

  test("a fault drill's VirtualService carries its expiry for the policy pack", () => {
    const i = ROUTE_KNOBS.findIndex(([k]) => k === "fault");
    expect(at(h.one(VS, `traffic-vs-route-${i}`).inputs, "metadata.annotations")).toEqual({
      "traffic.aks-mesh.io/fault-expires": "2099-01-01",
    });
  });

  test("a service without route fields gets no in-mesh VirtualService", () => {
    expect(h.all(VS).filter((r) => at(r.inputs, "metadata.name") === "web-mesh")).toHaveLength(0);
  });
});

describe("DestinationRule port level and locality", () => {
  test("carries the declared load (replicas x expectedConcurrency) for the pool policy", () => {
    expect(at(h.one(DR, "traffic-dr-reviews").inputs, "metadata.annotations")).toEqual({
      "traffic.aks-mesh.io/expected-concurrent-requests": "30",
    });
  });

  test("a port override lands in portLevelSettings for that port, keeping the service's breaker and balancing", () => {
    // Istio does not carry the top level's fields over to a port with an entry (util.go "port level policies do not
    // inherit"): without them the port would lose its circuit breaker.
    expect(at(h.one(DR, "traffic-dr-reviews").inputs, "spec.trafficPolicy.portLevelSettings")).toEqual([
      {
        port: { number: 9090 },
        connectionPool: { http: { http2MaxRequests: 500 } },
        outlierDetection: { consecutiveGatewayErrors: 3 },
        loadBalancer: {
          localityLbSetting: { distribute: [{ from: "kc/kc-1/*", to: { "kc/kc-1/*": 80, "kc/kc-2/*": 20 } }] },
        },
      },
    ]);
  });

  test("locality distribution lands in loadBalancer.localityLbSetting, beside its outlier detection", () => {
    const tp = at(h.one(DR, "traffic-dr-reviews").inputs, "spec.trafficPolicy");
    expect(at(tp, "loadBalancer.localityLbSetting")).toEqual({
      distribute: [{ from: "kc/kc-1/*", to: { "kc/kc-1/*": 80, "kc/kc-2/*": 20 } }],
    });
    expect(at(tp, "outlierDetection")).toEqual({ consecutiveGatewayErrors: 3 });
  });
});

type Patch = { applyTo: string; match: Record<string, unknown>; patch: { operation: string; value: unknown } };
const patchesOf = (name: string, hh = h) => at(hh.one(EF, name).inputs, "spec.configPatches") as Patch[];

describe("gateway rate limit", () => {
  test("selects the gateway pods in the gateway namespace, with a priority for its relative patch", () => {
    const ef = h.one(EF, "traffic-ef-gateway-1-23-4").inputs;
    expect(at(ef, "metadata")).toMatchObject({
      name: "istio-ingressgateway-ratelimit-1-23-4",
      namespace: "istio-ingress",
    });
    expect(at(ef, "spec.workloadSelector")).toEqual({
      labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
    });
    expect(at(ef, "spec.priority")).toBeGreaterThan(0);
  });

  test("inserts the local rate limit filter before the router of the gateway's HTTP connection managers", () => {
    const [filter] = patchesOf("traffic-ef-gateway-1-23-4");
    expect(filter).toMatchObject({
      applyTo: "HTTP_FILTER",
      match: {
        context: "GATEWAY",
        listener: {
          filterChain: {
            filter: {
              name: "envoy.filters.network.http_connection_manager",
              subFilter: { name: "envoy.filters.http.router" },
            },
          },
        },
      },
      patch: { operation: "INSERT_BEFORE", value: { name: "envoy.filters.http.local_ratelimit" } },
    });
  });

  test("a host's limit goes on its virtual host, by the name Envoy gives it (host:443 for TLS, plus :80 unredirected)", () => {
    const vhosts = patchesOf("traffic-ef-gateway-1-23-4")
      .filter((p) => p.applyTo === "VIRTUAL_HOST")
      .map((p) => at(p.match, "routeConfiguration.vhost.name"));
    expect(vhosts).toEqual(["secure.example.com:443", "secure.example.com:80"]);
  });

  test("a route's limit goes on the delegated route by its merged name <root>-<delegate>", () => {
    const routes = patchesOf("traffic-ef-gateway-1-23-4").filter((p) => p.applyTo === "HTTP_ROUTE");
    expect(routes.map((p) => at(p.match, "routeConfiguration.vhost"))).toEqual([
      { name: "shop.example.com:80", route: { name: "reviews-reviews-reviews" } },
    ]);
    const cfg = (routes[0]?.patch.value as { typed_per_filter_config: Record<string, Record<string, unknown>> })
      .typed_per_filter_config["envoy.filters.http.local_ratelimit"];
    expect(cfg).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      token_bucket: { max_tokens: 10, tokens_per_fill: 1, fill_interval: "1s" },
      status: { code: "TooManyRequests" },
      enable_x_ratelimit_headers: "DRAFT_VERSION_03",
    });
  });

  test("every patch is scoped to the installed proxy version", () => {
    for (const p of patchesOf("traffic-ef-gateway-1-23-4")) {
      expect(at(p.match, "proxy.proxyVersion")).toBe("^1\\.23\\.4([^0-9].*)?$");
    }
  });
});

describe("sidecar rate limit", () => {
  test("selects the service's pods in its namespace and limits every inbound HTTP request", () => {
    const ef = h.one(EF, "traffic-ef-reviews-1-23-4").inputs;
    expect(at(ef, "metadata")).toMatchObject({ name: "reviews-ratelimit-1-23-4", namespace: "back" });
    expect(at(ef, "spec.workloadSelector")).toEqual({ labels: { app: "reviews" } });
    const [p] = patchesOf("traffic-ef-reviews-1-23-4");
    expect(p).toMatchObject({
      applyTo: "HTTP_FILTER",
      match: {
        context: "SIDECAR_INBOUND",
        listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } },
      },
      patch: { operation: "INSERT_BEFORE" },
    });
    expect(at(p?.patch.value, "typed_config.token_bucket")).toEqual({
      max_tokens: 20,
      tokens_per_fill: 10,
      fill_interval: "0.5s",
    });
  });
});

describe("two installed versions (a canary upgrade)", () => {
  let two: Harness;
  beforeAll(async () => {
    two = await trafficOf([
      { revision: "1-23-4", version: "1.23.4" },
      { revision: "1-25-5", version: "1.25.5" },
    ]);
  });

  test("each EnvoyFilter is copied once per version, each copy scoped to its version", () => {
    for (const [name, version] of [
      ["traffic-ef-gateway-1-23-4", "^1\\.23\\.4([^0-9].*)?$"],
      ["traffic-ef-gateway-1-25-5", "^1\\.25\\.5([^0-9].*)?$"],
      ["traffic-ef-reviews-1-25-5", "^1\\.25\\.5([^0-9].*)?$"],
    ] as const) {
      for (const p of patchesOf(name, two)) expect(at(p.match, "proxy.proxyVersion")).toBe(version);
    }
    expect(two.all(EF)).toHaveLength(4);
  });
});
