// Global rate limiting (traffic.globalRateLimit): the ratelimit service and Redis land in the fields they read, the
// gateway's EnvoyFilter inserts Envoy's ratelimit filter into its HTTP connection managers and sends, per limited host
// and route, action sets whose descriptors the service's config holds a limit for (and no limit nobody sends), one
// copy per installed proxy version (global-rate-limit-off.test.ts: nothing exists while it is off).
import YAML from "yaml";
import type { RateLimitDescriptor, RateLimitServiceConfig } from "../../../config/global-rate-limit";
import type { InstalledRevision } from "../../../components/istio/handle";
import type { Harness } from "../../harness";
import { at, planTraffic } from "./plan";

const EF = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const DIGEST = `sha256:${"b".repeat(64)}`;

const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          { prefix: "/", service: "web" },
          { prefix: "/reviews", service: "reviews", port: 8080, delegate: true },
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
    reviews: { namespace: "back", ports: [{ port: 8080, protocol: "http" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back", existing: false }]),
};

const globalRateLimit = {
  enabled: true,
  domain: "shop",
  failureModeDeny: true,
  timeout: "50ms",
  images: { ratelimit: { digest: DIGEST } },
  limits: [
    { host: "secure.example.com", requestsPerUnit: 1000, unit: "minute" },
    { host: "shop.example.com", requestsPerUnit: 500, unit: "second" },
    { host: "shop.example.com", prefix: "/reviews", by: { header: "x-user-id" }, requestsPerUnit: 10, unit: "minute" },
    { host: "shop.example.com", prefix: "/reviews", by: { remoteAddress: true }, requestsPerUnit: 100, unit: "hour" },
  ],
};

function planOf(revisions: InstalledRevision[], global: unknown = globalRateLimit): Promise<Harness> {
  const traffic = {
    gatewayRateLimits: [{ host: "shop.example.com", maxTokens: 100, fillInterval: "1s" }],
    ...(global === undefined ? {} : { globalRateLimit: global }),
  };
  return planTraffic({ ...base, "aks-mesh:traffic": JSON.stringify(traffic) }, revisions);
}

type Patch = { applyTo: string; match: Record<string, unknown>; patch: { operation: string; value: unknown } };
type Action = Record<string, Record<string, string>>;
type ActionSet = { actions: Action[] };
const patchesOf = (hh: Harness, name: string) => at(hh.one(EF, name).inputs, "spec.configPatches") as Patch[];

let h: Harness;
beforeAll(async () => {
  h = await planOf([{ revision: "1-23-4", version: "1.23.4" }]);
});

/** Every rate_limits entry the gateway's filter sends, with where it is attached. */
function actionSets(hh: Harness, name: string): { where: string; set: ActionSet }[] {
  return patchesOf(hh, name).flatMap((p) => {
    const vhost = at(p.match, "routeConfiguration.vhost") as { name: string; route?: { name: string } } | undefined;
    const where = `${vhost?.name ?? ""}${vhost?.route ? ` route ${vhost.route.name}` : ""}`;
    if (p.applyTo === "VIRTUAL_HOST") {
      return (at(p.patch.value, "rate_limits") as ActionSet[]).map((set) => ({ where, set }));
    }
    if (p.applyTo === "HTTP_ROUTE") {
      return (at(p.patch.value, "route.rate_limits") as ActionSet[]).map((set) => ({ where, set }));
    }
    return [];
  });
}

/**
 * The descriptor entries an action set makes for a request carrying every header (Envoy route_components.proto: a
 * generic_key entry is its descriptor_key and descriptor_value; request_headers and remote_address take the value from
 * the request, here "<request>").
 */
function entriesOf(set: ActionSet): { key: string; value: string }[] {
  return set.actions.map((a) => {
    if (a.generic_key)
      return { key: a.generic_key.descriptor_key ?? "generic_key", value: a.generic_key.descriptor_value ?? "" };
    if (a.request_headers) return { key: a.request_headers.descriptor_key ?? "", value: "<request>" };
    if (a.remote_address) return { key: "remote_address", value: "<request>" };
    throw new Error(`an action this test does not model: ${JSON.stringify(a)}`);
  });
}

/** The rate limit the service applies to these entries, looked up as its GetLimit does (key_value, else key). */
function limitFor(
  config: RateLimitServiceConfig,
  entries: { key: string; value: string }[],
): RateLimitDescriptor | undefined {
  let level: RateLimitDescriptor[] | undefined = config.descriptors;
  let found: RateLimitDescriptor | undefined;
  for (const e of entries) {
    found =
      level?.find((d) => d.key === e.key && d.value === e.value) ?? level?.find((d) => d.key === e.key && !d.value);
    if (!found) return undefined;
    level = found.descriptors;
  }
  return found?.rate_limit ? found : undefined;
}

/** Every path from the top of the config to a descriptor holding a rate limit. */
function leaves(
  list: RateLimitDescriptor[],
  path: { key: string; value?: string }[] = [],
): { key: string; value?: string }[][] {
  return list.flatMap((d) => {
    const here = [...path, { key: d.key, ...(d.value ? { value: d.value } : {}) }];
    return [...(d.rate_limit ? [here] : []), ...leaves(d.descriptors ?? [], here)];
  });
}

const serviceConfig = (hh: Harness): RateLimitServiceConfig => {
  const data = at(hh.one("kubernetes:core/v1:ConfigMap", "traffic-global-config").inputs, "data") as Record<
    string,
    string
  >;
  return YAML.parse(data["config.yaml"] ?? "") as RateLimitServiceConfig;
};

describe("the ratelimit service", () => {
  const deployment = () => h.one(DEPLOYMENT, "traffic-global-ratelimit").inputs;

  test("runs the pinned image by tag and digest, with its config from the ConfigMap where RUNTIME_* point", () => {
    const container = at(deployment(), "spec.template.spec.containers.0") as Record<string, unknown>;
    expect(container.image).toBe(`docker.io/envoyproxy/ratelimit:30a4ce1a@${DIGEST}`);
    const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      REDIS_SOCKET_TYPE: "tcp",
      REDIS_URL: "redis.ratelimit.svc.cluster.local:6379",
      USE_STATSD: "false",
      RUNTIME_ROOT: "/data",
      RUNTIME_SUBDIRECTORY: "ratelimit",
      RUNTIME_WATCH_ROOT: "false",
    });
    // RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config (RUNTIME_APPDIRECTORY's default): the directory the loader reads.
    expect(container.volumeMounts).toEqual([{ name: "config", mountPath: "/data/ratelimit/config", readOnly: true }]);
    expect(at(deployment(), "spec.template.spec.volumes.0.configMap.name")).toBe("ratelimit-config");
  });

  test("runs as non-root, read-only, without privileges, with resources and replicas from config", () => {
    const spec = at(deployment(), "spec.template.spec") as Record<string, unknown>;
    expect(at(spec, "securityContext.runAsNonRoot")).toBe(true);
    expect(at(spec, "containers.0.securityContext")).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(at(spec, "containers.0.resources")).toEqual({
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { memory: "256Mi" },
    });
    expect(at(deployment(), "spec.replicas")).toBe(2);
  });

  test("keeps one replica through node drains (a PodDisruptionBudget when it runs two or more)", () => {
    expect(
      at(h.one("kubernetes:policy/v1:PodDisruptionBudget", "traffic-global-ratelimit-pdb").inputs, "spec"),
    ).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: "ratelimit" } },
    });
  });

  test("its Service serves gRPC on 8081 with appProtocol grpc (Istio then speaks HTTP/2 to it)", () => {
    expect(at(h.one(SERVICE, "traffic-global-ratelimit-svc").inputs, "spec.ports")).toEqual([
      { name: "grpc", port: 8081, targetPort: 8081, appProtocol: "grpc" },
    ]);
  });

  test("Redis runs the pinned image without persistence, as the image's non-root user", () => {
    const spec = at(h.one(DEPLOYMENT, "traffic-global-redis").inputs, "spec.template.spec") as Record<string, unknown>;
    expect(at(spec, "containers.0.image")).toBe(
      "docker.io/library/redis:7.4.11-alpine@sha256:ff02b58f971e7d7d156a1267e283fcbbeee91773b6aa36c49dac28ecfe28eadf",
    );
    expect(at(spec, "containers.0.args")).toEqual(["redis-server", "--save", "", "--appendonly", "no"]);
    expect(at(spec, "securityContext")).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000 });
    expect(at(h.one(SERVICE, "traffic-global-redis-svc").inputs, "spec.ports.0.port")).toBe(6379);
  });

  test("its namespace is declared outside the mesh", () => {
    const ns = h.one("kubernetes:core/v1:Namespace", "traffic-global-ns").inputs;
    expect(at(ns, "metadata.name")).toBe("ratelimit");
    expect(at(ns, "metadata.labels")).toMatchObject({ "istio-injection": "disabled" });
  });

  test("everything in its namespace is created after the namespace (and deleted before it)", () => {
    const ns = h.one("kubernetes:core/v1:Namespace", "traffic-global-ns").urn;
    const inside = h.resources().filter((r) => at(r.inputs, "metadata.namespace") === "ratelimit");
    expect(inside.length).toBeGreaterThan(0);
    for (const r of inside) expect([r.name, r.dependsOn]).toEqual([r.name, expect.arrayContaining([ns])]);
  });

  test("only the gateway pods reach the service, only the service reaches Redis, nothing else gets in", () => {
    const np = (n: string) => h.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", `traffic-global-np-${n}`).inputs;
    expect(at(np("default-deny"), "spec")).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    expect(at(np("allow-ingress-gateway"), "spec")).toEqual({
      podSelector: { matchLabels: { app: "ratelimit" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } },
              podSelector: { matchLabels: { app: "istio-ingressgateway", istio: "ingressgateway" } },
            },
          ],
          ports: [{ protocol: "TCP", port: 8081 }],
        },
      ],
    });
    expect(at(np("allow-ratelimit"), "spec.ingress")).toEqual([
      { from: [{ podSelector: { matchLabels: { app: "ratelimit" } } }], ports: [{ protocol: "TCP", port: 6379 }] },
    ]);
  });
});

describe("the gateway's EnvoyFilter", () => {
  const name = "traffic-global-ef-1-23-4";

  test("inserts Envoy's ratelimit filter before the router of the gateway's HTTP connection managers", () => {
    const [filter] = patchesOf(h, name);
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
      patch: { operation: "INSERT_BEFORE", value: { name: "envoy.filters.http.ratelimit" } },
    });
    expect(at(h.one(EF, name).inputs, "spec.workloadSelector.labels")).toEqual({
      app: "istio-ingressgateway",
      istio: "ingressgateway",
    });
  });

  test("asks the ratelimit Service's Istio cluster over gRPC v3, with the domain, failure mode and draft-03 headers", () => {
    expect(at(patchesOf(h, name)[0]?.patch.value, "typed_config")).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit",
      domain: "shop",
      failure_mode_deny: true,
      timeout: "0.05s",
      enable_x_ratelimit_headers: "DRAFT_VERSION_03",
      rate_limit_service: {
        grpc_service: {
          envoy_grpc: {
            cluster_name: "outbound|8081||ratelimit.ratelimit.svc.cluster.local",
            authority: "ratelimit.ratelimit.svc.cluster.local",
          },
        },
        transport_api_version: "V3",
      },
    });
  });

  test("is applied after the local rate limit, so the order is local, global, router", () => {
    const local = at(h.one(EF, "traffic-ef-gateway-1-23-4").inputs, "spec.priority") as number;
    expect(at(h.one(EF, name).inputs, "spec.priority")).toBeGreaterThan(local);
  });

  test("a host's limits go on each of its virtual hosts; a route's on the route, repeating its host's", () => {
    const where = actionSets(h, name).map(
      (a) =>
        `${a.where}: ${entriesOf(a.set)
          .map((e) => e.key)
          .join("+")}`,
    );
    expect(where).toEqual([
      "secure.example.com:443: limit",
      "secure.example.com:80: limit",
      "shop.example.com:80: limit",
      "shop.example.com:80 route reviews-reviews-reviews: limit+x-user-id",
      "shop.example.com:80 route reviews-reviews-reviews: limit+remote_address",
      "shop.example.com:80 route reviews-reviews-reviews: limit",
    ]);
  });

  test("every action set the gateway sends has a limit in the service's config", () => {
    const config = serviceConfig(h);
    expect(config.domain).toBe("shop");
    for (const { where, set } of actionSets(h, name)) {
      expect([where, limitFor(config, entriesOf(set))]).toEqual([
        where,
        expect.objectContaining({ rate_limit: expect.anything() }),
      ]);
    }
  });

  test("every limit of the service's config is sent by some action set (none is dead)", () => {
    const sent = actionSets(h, name).map(({ set }) =>
      entriesOf(set).map((e) => (e.value === "<request>" ? { key: e.key } : e)),
    );
    for (const leaf of leaves(serviceConfig(h).descriptors)) expect(sent).toContainEqual(leaf);
    expect(leaves(serviceConfig(h).descriptors)).toHaveLength(globalRateLimit.limits.length);
  });

  test("every patch is scoped to the installed proxy version", () => {
    for (const p of patchesOf(h, name)) expect(at(p.match, "proxy.proxyVersion")).toBe("^1\\.23\\.4([^0-9].*)?$");
  });

  test("waits for the ratelimit Deployment, so the gateway never asks a service that is not there", () => {
    const deployment = h.one(DEPLOYMENT, "traffic-global-ratelimit").urn;
    expect(h.one(EF, name).dependsOn).toContain(deployment);
  });
});

describe("two installed versions (a canary upgrade)", () => {
  test("the gateway filter is copied once per version, each copy scoped to its version", async () => {
    const two = await planOf([
      { revision: "1-23-4", version: "1.23.4" },
      { revision: "1-25-5", version: "1.25.5" },
    ]);
    for (const [ef, version] of [
      ["traffic-global-ef-1-23-4", "^1\\.23\\.4([^0-9].*)?$"],
      ["traffic-global-ef-1-25-5", "^1\\.25\\.5([^0-9].*)?$"],
    ] as const) {
      for (const p of patchesOf(two, ef)) expect(at(p.match, "proxy.proxyVersion")).toBe(version);
    }
    expect(two.all(EF).filter((r) => r.name.startsWith("traffic-global-"))).toHaveLength(2);
  });
});
