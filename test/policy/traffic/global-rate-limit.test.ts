// ratelimit-filter-cluster-served: the gateway's Envoy ratelimit filter calls an Istio outbound cluster that a Service
// of the stack makes, on a port Istio builds as HTTP/2 (pkg/config/kube/conversion.go ConvertProtocol). Fixtures are
// shaped as components/traffic/global-rate-limit.ts sends them.
import { ratelimitClusterServed, speaksHttp2 } from "../../../policy/traffic/global-rate-limit";
import { type Case, istio, kube, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const CLUSTER = "outbound|8081||ratelimit.ratelimit.svc.cluster.local";

const filter = (cluster: string | undefined) =>
  istio(
    "EnvoyFilter",
    "istio-ingressgateway-global-ratelimit-1-23-4",
    {
      workloadSelector: { labels: { istio: "ingressgateway" } },
      configPatches: [
        {
          applyTo: "HTTP_FILTER",
          match: { context: "GATEWAY", proxy: { proxyVersion: "^1\\.23\\.4([^0-9].*)?$" } },
          patch: {
            operation: "INSERT_BEFORE",
            value: {
              name: "envoy.filters.http.ratelimit",
              typed_config: {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit",
                domain: "aks-mesh",
                rate_limit_service: {
                  grpc_service: cluster === undefined ? { google_grpc: {} } : { envoy_grpc: { cluster_name: cluster } },
                  transport_api_version: "V3",
                },
              },
            },
          },
        },
      ],
    },
    { namespace: "istio-ingress" },
  );

const service = (port: Record<string, unknown>, name = "ratelimit", ns = "ratelimit") =>
  kube("v1", "Service", name, { spec: { selector: { app: name }, ports: [port] } }, { namespace: ns });

const cases: Case[] = [
  {
    title: "rejects a filter calling a cluster of a Service the stack does not declare",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "grpc", port: 8081 }, "ratelimit", "other")],
    rejects:
      /calls cluster outbound\|8081\|\|ratelimit\.ratelimit\.svc\.cluster\.local, and the stack declares no Service ratelimit\/ratelimit/,
    count: 1,
  },
  {
    title: "rejects a filter calling a port the Service does not have",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "grpc", port: 9090 })],
    rejects: /has no port 8081 \(its ports: 9090\)/,
    count: 1,
  },
  {
    title: "rejects a port Istio reads as plain TCP (Envoy's gRPC client needs HTTP/2)",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "tcp-grpc", port: 8081 })],
    rejects: /as a protocol other than HTTP\/2: set its appProtocol to grpc/,
    count: 1,
  },
  {
    title: "rejects a port whose appProtocol overrides a grpc name (Istio reads appProtocol first)",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "grpc", port: 8081, appProtocol: "http" })],
    rejects: /appProtocol "http"/,
    count: 1,
  },
  {
    title: "accepts the Service the component deploys (port grpc, appProtocol grpc)",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "grpc", port: 8081, targetPort: 8081, appProtocol: "grpc" })],
  },
  {
    title: "accepts a port named grpc-<suffix> without appProtocol (Istio's sample's grpc-port)",
    policy: ratelimitClusterServed,
    fixtures: [filter(CLUSTER), service({ name: "grpc-port", port: 8081 })],
  },
  {
    title: "leaves alone a filter that names no envoy_grpc cluster (google_grpc: not an Istio cluster)",
    policy: ratelimitClusterServed,
    fixtures: [filter(undefined)],
  },
];

describe("traffic: global rate limiting", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([ratelimitClusterServed], cases);
});

describe("speaksHttp2 reads a Service port as Istio's ConvertProtocol does", () => {
  test.each([
    [{ name: "grpc" }, true],
    [{ name: "GRPC-api" }, true],
    [{ name: "grpc-web" }, true],
    [{ name: "http2-x" }, true],
    [{ name: "http" }, false],
    [{ name: "grpc", appProtocol: "tcp" }, false],
    [{ name: "tcp", appProtocol: "kubernetes.io/h2c" }, true],
    [{ name: "grpc", protocol: "UDP" }, false],
    [{}, false],
  ])("%p -> %p", (port, expected) => {
    expect(speaksHttp2(port)).toBe(expected);
  });
});
