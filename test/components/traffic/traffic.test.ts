// The traffic area: one DestinationRule per service with a policy, named after the service in its namespace, for its
// cluster-local host, after istiod and the namespace; each knob of aks-mesh:traffic in its Istio field.
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../../config";
import type { Harness } from "../../harness";
import { mockRuntime } from "../../harness";

const DR = "kubernetes:networking.istio.io/v1:DestinationRule";

/**
 * Every knob: the value given under aks-mesh:traffic (path in the policy) and the path of the DestinationRule field it
 * must land in. Each row is its own service's policy, so a knob landing in the wrong field cannot pass for another.
 */
const KNOBS: [string, unknown, string][] = [
  ["outlierDetection.consecutive5xxErrors", 7, "trafficPolicy.outlierDetection.consecutive5xxErrors"],
  ["outlierDetection.consecutiveGatewayErrors", 3, "trafficPolicy.outlierDetection.consecutiveGatewayErrors"],
  ["outlierDetection.interval", "30s", "trafficPolicy.outlierDetection.interval"],
  ["outlierDetection.baseEjectionTime", "45s", "trafficPolicy.outlierDetection.baseEjectionTime"],
  ["outlierDetection.maxEjectionPercent", 40, "trafficPolicy.outlierDetection.maxEjectionPercent"],
  ["outlierDetection.minHealthPercent", 60, "trafficPolicy.outlierDetection.minHealthPercent"],
  ["connectionPool.tcp.maxConnections", 100, "trafficPolicy.connectionPool.tcp.maxConnections"],
  ["connectionPool.tcp.connectTimeout", "250ms", "trafficPolicy.connectionPool.tcp.connectTimeout"],
  ["connectionPool.http.http1MaxPendingRequests", 50, "trafficPolicy.connectionPool.http.http1MaxPendingRequests"],
  ["connectionPool.http.http2MaxRequests", 200, "trafficPolicy.connectionPool.http.http2MaxRequests"],
  ["connectionPool.http.maxRequestsPerConnection", 10, "trafficPolicy.connectionPool.http.maxRequestsPerConnection"],
  ["connectionPool.http.maxRetries", 4, "trafficPolicy.connectionPool.http.maxRetries"],
  ["connectionPool.http.idleTimeout", "90s", "trafficPolicy.connectionPool.http.idleTimeout"],
  ["loadBalancer.simple", "LEAST_REQUEST", "trafficPolicy.loadBalancer.simple"],
  ["loadBalancer.simple", "RANDOM", "trafficPolicy.loadBalancer.simple"],
  ["loadBalancer.simple", "ROUND_ROBIN", "trafficPolicy.loadBalancer.simple"],
  [
    "connectionPool.tcp.tcpKeepalive",
    { time: "300s", interval: "30s", probes: 3 },
    "trafficPolicy.connectionPool.tcp.tcpKeepalive",
  ],
  ["loadBalancer.consistentHash", { httpHeaderName: "x-user-id" }, "trafficPolicy.loadBalancer.consistentHash"],
  [
    "loadBalancer.consistentHash",
    { httpCookie: { name: "session", ttl: "0s" } },
    "trafficPolicy.loadBalancer.consistentHash",
  ],
  ["loadBalancer.consistentHash", { useSourceIp: true }, "trafficPolicy.loadBalancer.consistentHash"],
  ["loadBalancer.warmupDurationSecs", "60s", "trafficPolicy.loadBalancer.warmupDurationSecs"],
];

const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    reviews: { namespace: "back", ports: [{ port: 8080, protocol: "http" }] },
    ratings: { namespace: "back", ports: [{ port: 9080, protocol: "http" }] },
    ...Object.fromEntries(
      KNOBS.map((_, i) => [`knob-${i}`, { namespace: "back", ports: [{ port: 80, protocol: "http" }] }]),
    ),
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back", existing: false }]),
};

function nested(path: string, value: unknown): Record<string, unknown> {
  return path
    .split(".")
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

async function trafficOf(traffic: unknown): Promise<Harness> {
  const h = await mockRuntime();
  const { Traffic } = await import("../../../components/traffic");
  const { Mesh } = await import("../../../components/mesh");
  const { testCluster, testControlPlane, testGateway } = await import("../../support/handles");
  const ready = [new k8s.core.v1.ConfigMap("istiod-ready", {})];
  const config = parseConfig(
    { ...base, "aks-mesh:traffic": JSON.stringify(traffic) },
    { project: "aks-mesh", stack: "test" },
  );
  const cluster = testCluster();
  const controlPlane = testControlPlane({ ready });
  const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
  new Traffic("traffic", { config, handles: { cluster, controlPlane, mesh, gateway: testGateway() } });
  await h.settle();
  return h;
}

function at(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
}

let h: Harness;
beforeAll(async () => {
  h = await trafficOf({
    presets: {
      default: {
        outlierDetection: { consecutiveGatewayErrors: 5, interval: "10s" },
        connectionPool: { http: { maxRetries: 3 } },
      },
    },
    services: {
      reviews: { preset: "default", outlierDetection: { consecutiveGatewayErrors: 3, baseEjectionTime: "30s" } },
      ratings: { preset: "default" },
      // One service per knob, so a knob landing in the wrong field cannot pass for another.
      ...Object.fromEntries(KNOBS.map(([knob, value], i) => [`knob-${i}`, nested(knob, value)])),
    },
  });
});

describe("with a preset and per-service overrides", () => {
  test("sends one DestinationRule per service with a policy, named after it in its namespace, for its FQDN", () => {
    const rules = h.all(DR).map((r) => ({
      name: at(r.inputs, "metadata.name"),
      namespace: at(r.inputs, "metadata.namespace"),
      host: at(r.inputs, "spec.host"),
    }));
    expect(rules).toEqual(
      expect.arrayContaining([
        { name: "reviews", namespace: "back", host: "reviews.back.svc.cluster.local" },
        { name: "ratings", namespace: "back", host: "ratings.back.svc.cluster.local" },
      ]),
    );
    expect(rules).toHaveLength(2 + KNOBS.length); // web has no policy: no rule
  });

  test("sends the preset merged with the service's overrides, field by field", () => {
    expect(at(h.one(DR, "traffic-dr-reviews").inputs, "spec.trafficPolicy")).toEqual({
      outlierDetection: { consecutiveGatewayErrors: 3, interval: "10s", baseEjectionTime: "30s" },
      connectionPool: { http: { maxRetries: 3 } },
    });
    expect(at(h.one(DR, "traffic-dr-ratings").inputs, "spec.trafficPolicy")).toEqual({
      outlierDetection: { consecutiveGatewayErrors: 5, interval: "10s" },
      connectionPool: { http: { maxRetries: 3 } },
    });
  });

  test("creates each rule under the Traffic component, after istiod and the namespace it lands in", () => {
    const r = h.one(DR, "traffic-dr-reviews");
    expect(r.parent).toMatch(/aks-mesh:traffic:Traffic::traffic$/);
    expect(r.dependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ConfigMap::istiod-ready$/),
        expect.stringMatching(/Namespace::mesh-namespaces-back$/),
      ]),
    );
  });

  test("labels each rule as part of the stack", () => {
    expect(at(h.one(DR, "traffic-dr-reviews").inputs, "metadata.labels")).toMatchObject({
      "app.kubernetes.io/part-of": "aks-mesh",
      "app.kubernetes.io/component": "traffic",
    });
  });
});

describe("each knob lands in its DestinationRule field", () => {
  test.each(KNOBS.map((k, i) => [...k, i] as const))("%s = %p -> %s", (_knob, value, field, i) => {
    const spec = h.one(DR, `traffic-dr-knob-${i}`).inputs.spec;
    expect(at(spec, field)).toEqual(value);
    // Nothing else: the one knob is the whole policy.
    expect(spec).toEqual({ host: `knob-${i}.back.svc.cluster.local`, ...nested(field, value) });
  });
});
