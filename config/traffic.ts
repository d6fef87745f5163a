// Area "traffic" (components/traffic): how a service of the graph (aks-mesh:services) is called. `aks-mesh:traffic`
// holds named presets of traffic policy, defined once per stack, and per service a preset and/or its own fields; each
// service with a policy gets one DestinationRule. Every field maps to one field of Istio's DestinationRule
// trafficPolicy (istio.io/latest/docs/reference/config/networking/destination-rule), checked against the 1.23 CRD.
import { z } from "zod";
import type { ConfigArea, Parsed } from "./area";
import type { ingressKeys } from "./ingress";
import type { meshKeys } from "./mesh";
import { httpPorts, unknownService } from "./mesh";
import { dnsLabel, durationMs, hostName, whenFieldsValid } from "./primitives";
import { closest } from "./suggest";
import {
  globalRateLimit,
  type GlobalRateLimitConfig,
  limitId,
  loaderProblems,
  rateLimitServiceConfig,
} from "./global-rate-limit";

/**
 * A duration as Istio's CRDs take it: "500ms", "30s", "5m", "1h". The CRDs' CEL rule is
 * `duration(self) >= duration('1ms')`, so anything shorter is refused here rather than by the API server.
 */
export const istioDuration = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/, 'must be a duration such as "500ms", "30s" or "5m"')
  // Not a duration at all: the regex above already said so.
  .refine((d) => (durationMs(d) ?? 1) >= 1, "must be at least 1ms (Istio's CRD refuses shorter durations)");

/** A count Envoy reads as a uint32 threshold; 0 turns the check off. */
const errorCount = z.int().min(0).max(4294967295);
/** A positive int32 limit (Istio's fields are int32; 0 would mean "unset", i.e. Envoy's default). */
const limit = z.int().min(1).max(2147483647);
const percent = z.int().min(0).max(100);

export const outlierDetection = z
  .strictObject({
    consecutive5xxErrors: errorCount
      .optional()
      .describe(
        "outlierDetection.consecutive5xxErrors: eject a host after this many consecutive 5xx responses (any 5xx, " +
          "including 502/503/504); 0 turns it off. Istio's default is 5.",
      ),
    consecutiveGatewayErrors: errorCount
      .optional()
      .describe(
        "outlierDetection.consecutiveGatewayErrors: eject a host after this many consecutive gateway errors (502, " +
          "503, 504 over HTTP; connect timeouts and failures over TCP); 0 or unset turns it off.",
      ),
    interval: istioDuration
      .optional()
      .describe("outlierDetection.interval: time between ejection sweeps (Istio's default 10s)."),
    baseEjectionTime: istioDuration
      .optional()
      .describe(
        "outlierDetection.baseEjectionTime: minimum ejection time, multiplied by the times the host was ejected (default 30s).",
      ),
    maxEjectionPercent: percent
      .optional()
      .describe(
        "outlierDetection.maxEjectionPercent: at most this share (%) of the service's hosts ejected at once (default 10).",
      ),
    minHealthPercent: percent
      .optional()
      .describe(
        "outlierDetection.minHealthPercent: outlier detection runs only while at least this share (%) of hosts is " +
          "healthy (default 0: always).",
      ),
  })
  .describe("Circuit breaker: ejection of failing hosts (DestinationRule trafficPolicy.outlierDetection).");

export const connectionPool = z
  .strictObject({
    tcp: z
      .strictObject({
        maxConnections: limit
          .optional()
          .describe(
            "connectionPool.tcp.maxConnections: most HTTP/1.1 or TCP connections to the service, from each calling proxy.",
          ),
        connectTimeout: istioDuration
          .optional()
          .describe("connectionPool.tcp.connectTimeout: TCP connect timeout (Istio's default 10s)."),
        tcpKeepalive: z
          .strictObject({
            time: istioDuration
              .optional()
              .describe("connectionPool.tcp.tcpKeepalive.time: idle time before the first probe (OS default 2h)."),
            interval: istioDuration
              .optional()
              .describe("connectionPool.tcp.tcpKeepalive.interval: time between probes (OS default 75s)."),
            probes: z
              .int()
              .min(1)
              .max(4294967295)
              .optional()
              .describe(
                "connectionPool.tcp.tcpKeepalive.probes: unanswered probes before the connection is dropped (OS default 9).",
              ),
          })
          .optional()
          .describe(
            "connectionPool.tcp.tcpKeepalive: SO_KEEPALIVE on the proxy's upstream connections, so a connection an " +
              "Azure load balancer or NAT dropped silently (4 minutes idle by default) is noticed.",
          ),
      })
      .optional()
      .describe("TCP settings (connectionPool.tcp)."),
    http: z
      .strictObject({
        http1MaxPendingRequests: limit
          .optional()
          .describe("connectionPool.http.http1MaxPendingRequests: requests queued while waiting for a connection."),
        http2MaxRequests: limit
          .optional()
          .describe("connectionPool.http.http2MaxRequests: most active requests to the service (HTTP/1.1 and HTTP/2)."),
        maxRequestsPerConnection: limit
          .optional()
          .describe("connectionPool.http.maxRequestsPerConnection: requests per connection (1 turns keep-alive off)."),
        maxRetries: limit
          .optional()
          .describe("connectionPool.http.maxRetries: most retries outstanding to all hosts of the service at once."),
        idleTimeout: istioDuration
          .optional()
          .describe("connectionPool.http.idleTimeout: a connection idle this long is closed (default 1h)."),
      })
      .optional()
      .describe("HTTP settings (connectionPool.http)."),
  })
  .describe("Connection pool limits towards the service (DestinationRule trafficPolicy.connectionPool).");

export const LOAD_BALANCERS = ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"] as const;

/**
 * A locality as Istio writes it: "region", "region/zone" or "region/zone/subzone", with "*" only as the last part
 * (1.23.4 pkg/config/validation/agent/validation.go validateLocalities).
 */
const locality = z.string().refine((l) => {
  const parts = l.split("/");
  return (
    parts.length <= 3 && parts.every((p, i) => p.length > 0 && (p === "*" ? i === parts.length - 1 : !p.includes("*")))
  );
}, 'must be "region", "region/zone" or "region/zone/subzone", with "*" only as the last part');

export const localityLbSetting = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .describe(
        "localityLbSetting.enabled: locality-aware load balancing (Istio turns it on when the setting is present).",
      ),
    distribute: z
      .array(
        z.strictObject({
          from: locality.describe("Callers' locality, e.g. koreacentral/koreacentral-1/*."),
          to: z
            .record(locality, z.int().min(1).max(100))
            .describe("Weight (%) per destination locality; the weights add up to 100."),
        }),
      )
      .optional()
      .describe("localityLbSetting.distribute: how callers in a locality spread requests across zones, by weight."),
    failover: z
      .array(
        z.strictObject({
          from: z
            .string()
            .regex(/^[^/*]+$/, "must be a region")
            .describe("Region whose callers fail over."),
          to: z
            .string()
            .regex(/^[^/*]+$/, "must be a region")
            .describe("Region they fail over to."),
        }),
      )
      .optional()
      .describe(
        "localityLbSetting.failover: the region to fail over to when a region's endpoints are unhealthy (regions " +
          "only; within a region Envoy prefers the caller's zone, then the others, without this list).",
      ),
    failoverPriority: z
      .array(z.string().min(1))
      .optional()
      .describe(
        "localityLbSetting.failoverPriority: labels (e.g. topology.kubernetes.io/zone) ordering endpoints by how " +
          "many of them match the caller's.",
      ),
  })
  .describe(
    "Locality load balancing (loadBalancer.localityLbSetting): keep requests in the caller's zone, spread or fail " +
      "them over to others. Istio fails over only when the service has outlierDetection, which is required here.",
  );

export const consistentHash = z
  .strictObject({
    httpHeaderName: z
      .string()
      .min(1)
      .optional()
      .describe("consistentHash.httpHeaderName: hash on this request header (e.g. x-user-id)."),
    httpCookie: z
      .strictObject({
        name: z.string().min(1).describe("Cookie name."),
        path: z.string().optional().describe("Cookie path (when Envoy sets it)."),
        ttl: z
          .string()
          .regex(/^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/, 'must be a duration such as "0s" or "3600s"')
          .describe('Cookie lifetime; Envoy sets the cookie when the request lacks it ("0s": a session cookie).'),
      })
      .optional()
      .describe("consistentHash.httpCookie: sticky sessions by cookie."),
    useSourceIp: z.boolean().optional().describe("consistentHash.useSourceIp: hash on the caller's IP address."),
  })
  .describe("Sticky sessions (loadBalancer.consistentHash): exactly one of httpHeaderName, httpCookie, useSourceIp.");

export const loadBalancer = z
  .strictObject({
    simple: z
      .enum(LOAD_BALANCERS)
      .optional()
      .describe("loadBalancer.simple: ROUND_ROBIN, LEAST_REQUEST (Istio's default) or RANDOM."),
    consistentHash: consistentHash.optional(),
    localityLbSetting: localityLbSetting.optional(),
    warmupDurationSecs: istioDuration
      .optional()
      .describe(
        "loadBalancer.warmupDurationSecs (a duration despite its name): a new endpoint's share of requests ramps up " +
          "over this time (Envoy slow start). Istio applies it with ROUND_ROBIN and LEAST_REQUEST only (1.14 and " +
          "later: every version this program installs; 1.24 adds `warmup`, and keeps this field).",
      ),
  })
  .describe("Load balancing (DestinationRule trafficPolicy.loadBalancer).");

export const RETRY_ON = [
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "envoy-ratelimited",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
] as const;

/**
 * retryOn as Istio 1.23.4 accepts it (pkg/config/validation/validation.go validateHTTPRetry): a comma-separated list of
 * Envoy's x-envoy-retry-on / x-envoy-retry-grpc-on policies and HTTP status codes.
 */
const retryOn = z.string().superRefine((v, ctx) => {
  for (const p of v.split(",")) {
    const code = Number(p);
    if (/^[0-9]{3}$/.test(p) && code >= 100 && code <= 599) continue;
    if ((RETRY_ON as readonly string[]).includes(p)) continue;
    const hint = closest(p, [...RETRY_ON]);
    ctx.addIssue({
      code: "custom",
      message: `"${p}" is not a retryOn policy${hint ? `; did you mean "${hint}"?` : ` (${RETRY_ON.join(", ")} or an HTTP status)`}`,
    });
  }
});

export const retries = z
  .strictObject({
    attempts: z
      .int()
      .min(0)
      .max(2147483647)
      .describe(
        "retries.attempts: retries per request after the first try (Envoy num_retries); 0 turns off Istio's default " +
          "of 2 retries.",
      ),
    perTryTimeout: istioDuration
      .optional()
      .describe("retries.perTryTimeout: time limit of each try, the first included."),
    retryOn: retryOn
      .optional()
      .describe(
        'retries.retryOn: when to retry, e.g. "gateway-error,connect-failure,refused-stream" (Envoy retry policies ' +
          "and HTTP status codes; Istio's default connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes).",
      ),
  })
  .superRefine((r, ctx) => {
    // Istio refuses a retry policy on a route that retries 0 times (validateHTTPRetry).
    if (r.attempts === 0 && (r.perTryTimeout !== undefined || r.retryOn !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["attempts"],
        message: "is 0 (no retries): drop perTryTimeout and retryOn",
      });
    }
  }, whenFieldsValid)
  .describe("Retries of the service's routes (VirtualService http[].retries).");

/** The DestinationRule fields of a policy: what `trafficPolicy` (and, per port, `portLevelSettings`) take. */
const destinationFields = {
  outlierDetection: outlierDetection.optional(),
  connectionPool: connectionPool.optional(),
  loadBalancer: loadBalancer.optional(),
};

/** The route fields of a policy: what the service's VirtualService routes take (in-mesh and delegated public). */
const routeFields = {
  timeout: istioDuration
    .optional()
    .describe(
      "timeout: the route's time limit, retries included (VirtualService http[].timeout; Istio's default: none). " +
        "On a delegated public route it replaces the host route's timeout (ingress.hosts[].routes[].timeout).",
    ),
  retries: retries.optional(),
};

const policyFields = { ...destinationFields, ...routeFields };

/** A traffic policy: DestinationRule and route fields this stack sets; every field optional. */
export const trafficPolicy = z.strictObject(policyFields);
export type TrafficPolicy = z.infer<typeof trafficPolicy>;
/** The part of a policy a DestinationRule port can override (portLevelSettings). */
export const portPolicy = z.strictObject(destinationFields);
export type PortPolicy = z.infer<typeof portPolicy>;

const percentage = z.number().min(0).max(100);

export const faultInjection = z
  .strictObject({
    delay: z
      .strictObject({
        percent: percentage.describe("fault.delay.percentage.value: share (%) of requests delayed."),
        fixedDelay: istioDuration.describe("fault.delay.fixedDelay: how long each is held."),
      })
      .optional()
      .describe("Delay injected before the request is forwarded (VirtualService http[].fault.delay)."),
    abort: z
      .strictObject({
        percent: percentage.describe("fault.abort.percentage.value: share (%) of requests aborted."),
        httpStatus: z.int().min(200).max(599).describe("fault.abort.httpStatus: the status they get, e.g. 503."),
      })
      .optional()
      .describe("Requests answered with an error instead of being forwarded (VirtualService http[].fault.abort)."),
    expires: z.iso
      .date({ message: 'must be a date such as "2026-12-15"' })
      .describe("Last day of the drill: after it the config is refused until the block is removed."),
    allowInProduction: z
      .boolean()
      .default(false)
      .describe("Must be true for a production stack to inject faults (a drill agreed for production)."),
  })
  .superRefine((f, ctx) => {
    if (!f.delay && !f.abort) ctx.addIssue({ code: "custom", message: "sets neither delay nor abort" });
  }, whenFieldsValid)
  .describe(
    "Fault injection for resilience drills, on the service's routes (in-mesh and delegated public). Refused once " +
      "`expires` has passed, and in production unless allowInProduction.",
  );

/** Envoy's local rate limit fill timer must tick at least every 50ms (local_ratelimit_impl.cc). */
const fillInterval = istioDuration.refine(
  (d) => (durationMs(d) ?? 0) >= 50,
  "must be at least 50ms (Envoy's local rate limit refuses a shorter fill interval)",
);

export const tokenBucket = z
  .strictObject({
    maxTokens: z
      .int()
      .min(1)
      .max(4294967295)
      .describe("token_bucket.max_tokens: the bucket's size, the burst allowed."),
    tokensPerFill: z
      .int()
      .min(1)
      .max(4294967295)
      .default(1)
      .describe("token_bucket.tokens_per_fill: tokens added each fillInterval (Envoy's default 1)."),
    fillInterval: fillInterval.describe("token_bucket.fill_interval: how often tokens are added (at least 50ms)."),
  })
  .describe("A local rate limit: Envoy's token bucket, per proxy (each gateway or sidecar replica has its own).");
export type TokenBucket = z.infer<typeof tokenBucket>;

export const gatewayRateLimit = tokenBucket
  .extend({
    host: hostName.describe("A host of aks-mesh:ingress.hosts."),
    prefix: z
      .string()
      .startsWith("/")
      .optional()
      .describe("A route of that host (its prefix); omitted: every route of the host."),
  })
  .describe("A local rate limit at the ingress gateway, for a host or one of its routes.");

export const serviceTraffic = z.strictObject({
  preset: dnsLabel.optional().describe("A preset of aks-mesh:traffic.presets; the fields below override it."),
  ...policyFields,
  ports: z
    .record(z.string().regex(/^[0-9]+$/, "must be a port number"), portPolicy)
    .optional()
    .describe(
      "Per port of the service (its number): DestinationRule portLevelSettings. The port gets the service's " +
        "outlierDetection, connectionPool and loadBalancer with these fields laid over them, field by field (Istio " +
        "itself does not carry the service's fields over to a port that has an entry).",
    ),
  fault: faultInjection.optional(),
  expectedConcurrency: z
    .int()
    .min(1)
    .optional()
    .describe(
      "Concurrent requests each replica is expected to serve. With services.<name>.replicas, the policy pack warns " +
        "when connectionPool.http.http2MaxRequests or tcp.maxConnections is below replicas x this.",
    ),
  rateLimit: tokenBucket
    .extend({
      selector: z
        .record(z.string(), z.string())
        .optional()
        .describe("Labels of the service's pods (default: aks-mesh:services.<name>.podLabels, else app: <service>)."),
    })
    .optional()
    .describe(
      "A local rate limit at the service's sidecars (inbound), per pod: an EnvoyFilter in its namespace selecting its pods.",
    ),
});

export const trafficSection = z
  .strictObject({
    presets: z
      .record(dnsLabel, trafficPolicy)
      .default({})
      .describe("Named traffic policies (e.g. default, critical, batch), defined once and named by services."),
    services: z
      .record(dnsLabel, serviceTraffic)
      .default({})
      .describe(
        "Per service of aks-mesh:services: a preset and/or its own fields. A field set here replaces the preset's " +
          "value of that field only (field by field: outlierDetection.interval, connectionPool.http.maxRetries, ...; " +
          "retries, tcpKeepalive and localityLbSetting as a whole; simple and consistentHash replace each other). " +
          "The service gets a DestinationRule named after it and, with route fields, a VirtualService <service>-mesh " +
          "for in-mesh callers. Rollback: remove the service's entry.",
      ),
    gatewayRateLimits: z
      .array(gatewayRateLimit)
      .default([])
      .describe(
        "Local rate limits at the ingress gateway (EnvoyFilter), per host or host and route: 429 with x-ratelimit-* headers.",
      ),
    globalRateLimit,
  })
  .prefault({})
  .describe(
    "Traffic policy per service: circuit breakers, connection pools, load balancing, retries and timeouts, fault " +
      "drills, local rate limits (README: Traffic policy).",
  );

export const trafficKeys = { traffic: trafficSection };

type TrafficInput = Parsed<typeof trafficKeys> &
  Pick<Parsed<typeof meshKeys>, "services"> &
  Pick<Parsed<typeof ingressKeys>, "ingress"> & { environment: string };

/** One service's resolved policy. */
export interface ServiceTrafficPolicy {
  /** The preset it starts from, if any. */
  readonly preset?: string;
  /** The preset merged with the service's own fields. */
  readonly policy: TrafficPolicy;
  /** Port number -> what that port overrides (portLevelSettings). */
  readonly ports?: Readonly<Record<number, PortPolicy>>;
  readonly fault?: z.infer<typeof faultInjection>;
  /** Declared replicas x expectedConcurrency, when both are declared. */
  readonly expectedConcurrentRequests?: number;
  /** The sidecar rate limit, with the pods' labels resolved. */
  readonly rateLimit?: TokenBucket & { readonly selector: Readonly<Record<string, string>> };
}

/** A gateway rate limit: its host, and its route's prefix when it limits one route. */
export type GatewayRateLimit = z.infer<typeof gatewayRateLimit>;

/** The traffic area's part of the validated config. */
export interface TrafficAreaConfig {
  readonly traffic: {
    /** By service name: each service of the graph with a non-empty policy. */
    readonly services: Readonly<Record<string, ServiceTrafficPolicy>>;
    readonly gatewayRateLimits: readonly GatewayRateLimit[];
    /** Global rate limiting (the ratelimit service and Redis); nothing is created unless `enabled`. */
    readonly globalRateLimit: GlobalRateLimitConfig;
  };
}

/** Whether a policy sets a DestinationRule field. */
export function hasDestinationFields(p: TrafficPolicy | PortPolicy): boolean {
  return p.outlierDetection !== undefined || p.connectionPool !== undefined || p.loadBalancer !== undefined;
}

/**
 * A preset with a service's overrides laid over it, field by field: a field the service sets replaces the preset's
 * value of that field, and every other field of the preset stays (connectionPool.tcp and .http are merged the same
 * way). `retries`, `tcpKeepalive` and `localityLbSetting` are replaced whole (a merged retry policy could retry 0 times
 * with a perTryTimeout, which Istio refuses); `simple` and `consistentHash` are one choice, so either replaces both.
 */
export function mergePolicy(base: TrafficPolicy, over: TrafficPolicy): TrafficPolicy {
  const outlier = merged(base.outlierDetection, over.outlierDetection);
  const algorithm = over.loadBalancer?.simple !== undefined || over.loadBalancer?.consistentHash !== undefined;
  const baseLb = base.loadBalancer && algorithm ? dropAlgorithm(base.loadBalancer) : base.loadBalancer;
  const lb = merged(baseLb, over.loadBalancer);
  const tcp = merged(base.connectionPool?.tcp, over.connectionPool?.tcp);
  const http = merged(base.connectionPool?.http, over.connectionPool?.http);
  const pool = tcp || http ? { ...(tcp ? { tcp } : {}), ...(http ? { http } : {}) } : undefined;
  const timeout = over.timeout ?? base.timeout;
  const retries = over.retries ?? base.retries;
  return {
    ...(outlier ? { outlierDetection: outlier } : {}),
    ...(pool ? { connectionPool: pool } : {}),
    ...(lb ? { loadBalancer: lb } : {}),
    ...(timeout ? { timeout } : {}),
    ...(retries ? { retries } : {}),
  };
}

/**
 * What a port's portLevelSettings entry sends: the service's DestinationRule fields with the port's own laid over them,
 * field by field (as mergePolicy lays a service over its preset). Istio does not do this itself: a portLevelSettings
 * entry replaces the top level's outlierDetection, connectionPool and loadBalancer for that port rather than inheriting
 * them (1.23.4 pilot/pkg/networking/util/util.go, "port level policies do not inherit"), so a port overriding only its
 * connection pool would otherwise lose the service's circuit breaker.
 */
export function portPolicyOf(service: TrafficPolicy, port: PortPolicy): PortPolicy {
  const { timeout: _timeout, retries: _retries, ...merged } = mergePolicy(service, port);
  return merged;
}

function dropAlgorithm(lb: NonNullable<TrafficPolicy["loadBalancer"]>): NonNullable<TrafficPolicy["loadBalancer"]> {
  const { simple: _simple, consistentHash: _hash, ...rest } = lb;
  return rest;
}

function merged<T extends object>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a && !b) return undefined;
  const out = { ...(a ?? {}), ...stripUndefined(b ?? {}) } as T;
  return Object.keys(out).length > 0 ? out : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const trafficArea: ConfigArea<typeof trafficKeys, TrafficInput, TrafficAreaConfig> = {
  keys: trafficKeys,
  refuseRetired: (values, key) => deprecatedConsecutiveErrors(values, key),
  crossChecks: (root, { key, today }) => [
    ...trafficChecks(root, key),
    ...knobChecks(root, key, today),
    ...globalRateLimitChecks(root, key),
  ],
  resolve: (root) => {
    const services: Record<string, ServiceTrafficPolicy> = {};
    for (const [name, entry] of Object.entries(root.traffic.services)) {
      const { preset, ports, fault, rateLimit, expectedConcurrency, ...own } = entry;
      const policy = mergePolicy(preset ? (root.traffic.presets[preset] ?? {}) : {}, own);
      const replicas = root.services[name]?.replicas;
      const expected =
        replicas !== undefined && expectedConcurrency !== undefined ? replicas * expectedConcurrency : undefined;
      const portEntries = Object.entries(ports ?? {});
      if (Object.keys(policy).length === 0 && portEntries.length === 0 && !fault && !rateLimit) continue;
      services[name] = {
        ...(preset ? { preset } : {}),
        policy,
        ...(portEntries.length > 0
          ? { ports: Object.fromEntries(portEntries.map(([p, v]) => [Number(p), portPolicyOf(policy, v)])) }
          : {}),
        ...(fault ? { fault } : {}),
        ...(expected !== undefined ? { expectedConcurrentRequests: expected } : {}),
        ...(rateLimit
          ? {
              rateLimit: {
                ...rateLimit,
                selector: rateLimit.selector ?? root.services[name]?.podLabels ?? { app: name },
              },
            }
          : {}),
      };
    }
    return {
      traffic: {
        services,
        gatewayRateLimits: root.traffic.gatewayRateLimits,
        globalRateLimit: root.traffic.globalRateLimit,
      },
    };
  },
};

/** Every service named must be in the graph, and every preset named must be defined. */
function trafficChecks(root: TrafficInput, k: (path: string) => string): string[] {
  const problems: string[] = [];
  const names = Object.keys(root.services);
  const presets = Object.keys(root.traffic.presets);
  for (const [name, entry] of Object.entries(root.traffic.services)) {
    if (!names.includes(name)) problems.push(`${k(`traffic.services.${name}`)}: ${unknownService(name, names, k)}`);
    if (entry.preset !== undefined && !presets.includes(entry.preset)) {
      const hint = closest(entry.preset, presets);
      const known = presets.length > 0 ? `it defines ${presets.map((p) => `"${p}"`).join(", ")}` : "it defines none";
      problems.push(
        `${k(`traffic.services.${name}.preset`)}: "${entry.preset}" is not a preset of ${k("traffic.presets")}` +
          (hint ? `; did you mean "${hint}"?` : ` (${known})`),
      );
    }
  }
  return problems;
}

/**
 * outlierDetection.consecutiveErrors was deprecated in Istio 1.6 and 1.23 no longer reads it (Envoy's default of 5
 * consecutive 5xx then applies). It counted gateway errors: Istio mapped it to consecutiveGatewayErrors. Refused with
 * what to write instead; taken out so the schema does not also call it an unknown key.
 */
/** The labels Istio reads a locality from (pkg/config/validation/agent ValidateLocalityLbSetting). */
const LOCALITY_LABELS = ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

/**
 * What Istio would refuse or silently ignore, refused here with the key to change: each rule cites Istio 1.23.4.
 */
function knobChecks(root: TrafficInput, k: (path: string) => string, today: string): string[] {
  const problems: string[] = [];
  const check = (path: string, p: TrafficPolicy | PortPolicy) => {
    const lb = p.loadBalancer;
    if (lb?.simple !== undefined && lb.consistentHash !== undefined) {
      problems.push(`${k(`${path}.loadBalancer`)}: sets both simple and consistentHash; Istio takes one of them`);
    }
    const hash = lb?.consistentHash;
    if (hash) {
      const set = [hash.httpHeaderName, hash.httpCookie, hash.useSourceIp].filter((v) => v !== undefined).length;
      if (set !== 1) {
        problems.push(
          `${k(`${path}.loadBalancer.consistentHash`)}: set exactly one of httpHeaderName, httpCookie, useSourceIp`,
        );
      }
    }
    // cluster_traffic_policy.go applies the slow-start window for ROUND_ROBIN and LEAST_REQUEST (and the default) only.
    if (lb?.warmupDurationSecs !== undefined && (lb.simple === "RANDOM" || hash !== undefined)) {
      problems.push(
        `${k(`${path}.loadBalancer.warmupDurationSecs`)}: Istio ignores it with ${hash ? "consistentHash" : "RANDOM"} ` +
          "(Envoy slow start applies to ROUND_ROBIN and LEAST_REQUEST only): drop it or use one of those",
      );
    }
    const loc = lb?.localityLbSetting;
    if (loc) {
      const at = k(`${path}.loadBalancer.localityLbSetting`);
      if (loc.distribute?.length && loc.failover?.length) {
        problems.push(`${at}: sets both distribute and failover; Istio refuses that`);
      }
      loc.distribute?.forEach((d, i) => {
        const total = Object.values(d.to).reduce((a, b) => a + b, 0);
        if (total !== 100) problems.push(`${at}.distribute[${i}].to: weights add up to ${total}, not 100`);
      });
      loc.failover?.forEach((f, i) => {
        if (f.from === f.to) problems.push(`${at}.failover[${i}]: from and to are the same region`);
      });
      const topology = (loc.failoverPriority ?? []).filter((l) => LOCALITY_LABELS.includes(l));
      if (loc.failover?.length && topology.length > 0) {
        problems.push(`${at}: failover and failoverPriority ${topology[0]} cannot be set together (Istio refuses it)`);
      }
    }
  };
  // cluster_traffic_policy.go applyLocalityLoadBalancer: "Failover should only be applied with outlier detection". A
  // preset is not held to it (its services may add one); a service's merged policy and each of its ports are.
  const needsOutlier = (path: string, p: TrafficPolicy | PortPolicy, inherited: boolean) => {
    if (p.loadBalancer?.localityLbSetting && !p.outlierDetection && !inherited) {
      problems.push(
        `${k(`${path}.loadBalancer.localityLbSetting`)}: needs outlierDetection (Istio moves traffic to another ` +
          `locality only when it ejects the failing hosts): add ${k(`${path}.outlierDetection`)}`,
      );
    }
  };
  for (const [name, p] of Object.entries(root.traffic.presets)) check(`traffic.presets.${name}`, p);
  for (const [name, entry] of Object.entries(root.traffic.services)) {
    const declared = root.services[name];
    const { preset, ports, fault, rateLimit, expectedConcurrency: _load, ...own } = entry;
    const policy = mergePolicy(preset ? (root.traffic.presets[preset] ?? {}) : {}, own);
    const path = `traffic.services.${name}`;
    // A preset's rules are reported once, on the preset; a service is checked for what it changes.
    if (Object.keys(own).length > 0) check(path, policy);
    needsOutlier(path, policy, false);
    for (const [port, pp] of Object.entries(ports ?? {})) {
      check(`${path}.ports.${port}`, pp);
      // The port's entry is sent as the service's policy with the port's fields laid over it (portPolicyOf), so a
      // failover setting there is protected by the outlierDetection it ends up with.
      needsOutlier(`${path}.ports.${port}`, portPolicyOf(policy, pp), false);
      if (declared && !declared.ports.some((d) => d.port === Number(port))) {
        const list = declared.ports.map((d) => d.port).join(", ");
        problems.push(
          `${k(`${path}.ports.${port}`)}: ${name} has no port ${port} (aks-mesh:services.${name}.ports: ${list})`,
        );
      }
    }
    const routed = policy.timeout !== undefined || policy.retries !== undefined || fault !== undefined;
    if (declared && (routed || rateLimit) && httpPorts(declared).length === 0) {
      problems.push(
        `${k(path)}: timeout, retries, fault and rateLimit act on HTTP routes, and ${name} has no http, http2 or grpc ` +
          "port: drop them or declare the port's protocol",
      );
    }
    if (fault) {
      if (fault.expires < today) {
        problems.push(
          `${k(`${path}.fault.expires`)}: the drill ended on ${fault.expires}: remove ${k(`${path}.fault`)} ` +
            "(or move the date to run it again)",
        );
      }
      if (root.environment === "production" && !fault.allowInProduction) {
        problems.push(
          `${k(`${path}.fault`)}: fault injection in production needs ${k(`${path}.fault.allowInProduction`)}: true`,
        );
      }
    }
  }
  root.traffic.gatewayRateLimits.forEach((limit, i) => {
    const at = k(`traffic.gatewayRateLimits[${i}]`);
    problems.push(...gatewayTargetProblems(root, k, at, limit));
    const same = root.traffic.gatewayRateLimits.findIndex((o) => o.host === limit.host && o.prefix === limit.prefix);
    if (same < i) problems.push(`${at}: the same host and prefix as gatewayRateLimits[${same}]`);
  });
  return problems;
}

/**
 * A gateway limit (local or global) names a host of ingress.hosts and, optionally, one of its routes by prefix: the
 * EnvoyFilter matches their Envoy names, and a name that matches nothing would silently limit nothing.
 */
export function gatewayTargetProblems(
  root: Pick<TrafficInput, "ingress">,
  k: (path: string) => string,
  at: string,
  limit: { host: string; prefix?: string | undefined },
): string[] {
  const host = root.ingress.hosts.find((h) => h.host === limit.host);
  if (!host) {
    const hint = closest(
      limit.host,
      root.ingress.hosts.map((h) => h.host),
    );
    return [
      `${at}.host: "${limit.host}" is not a host of ${k("ingress.hosts")}${hint ? `; did you mean "${hint}"?` : ""}`,
    ];
  }
  if (limit.prefix !== undefined && !host.routes.some((r) => r.prefix === limit.prefix)) {
    const list = host.routes.map((r) => r.prefix).join(", ");
    return [`${at}.prefix: ${limit.host} has no route ${limit.prefix} (its routes: ${list})`];
  }
  return [];
}

/**
 * Global limits: each names a gateway host or route that exists (as local limits do), no two count the same thing
 * (the service's loader would refuse the whole file on the duplicate key), the generated service config passes the
 * loader's rules, and production pins the ratelimit image by digest.
 */
function globalRateLimitChecks(root: TrafficInput, k: (path: string) => string): string[] {
  const g = root.traffic.globalRateLimit;
  if (!g.enabled) return [];
  const problems: string[] = [];
  const at = k("traffic.globalRateLimit");
  if (g.limits.length === 0) {
    problems.push(`${at}.limits: enabled with no limits: add a limit, or set ${at}.enabled false`);
  }
  g.limits.forEach((limit, i) => {
    problems.push(...gatewayTargetProblems(root, k, `${at}.limits[${i}]`, limit));
    const same = g.limits.findIndex((o) => limitId(o) === limitId(limit));
    if (same < i) problems.push(`${at}.limits[${i}]: counts the same host, route and key as limits[${same}]`);
  });
  // Only when every limit is distinct: a duplicate was reported above, in the stack file's terms.
  if (problems.length === 0) {
    for (const p of loaderProblems(rateLimitServiceConfig(g.domain, g.limits))) {
      problems.push(`${at}: the ratelimit service would refuse its config: ${p}`);
    }
  }
  if (root.environment === "production" && g.images.ratelimit.digest === undefined) {
    problems.push(
      `${at}.images.ratelimit.digest: required in production (a tag can be re-pushed); read it with ` +
        `docker buildx imagetools inspect docker.io/envoyproxy/ratelimit:${g.images.ratelimit.tag} ` +
        "--format '{{json .Manifest.Digest}}'",
    );
  }
  return problems;
}

function deprecatedConsecutiveErrors(values: Record<string, unknown>, k: (path: string) => string): string[] {
  const traffic = values.traffic;
  if (!isRecord(traffic)) return [];
  const problems: string[] = [];
  for (const group of ["presets", "services"] as const) {
    const entries = traffic[group];
    if (!isRecord(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      const od = isRecord(entry) ? entry.outlierDetection : undefined;
      if (!isRecord(od) || !("consecutiveErrors" in od)) continue;
      const n = JSON.stringify(od.consecutiveErrors);
      delete od.consecutiveErrors;
      problems.push(
        `${k(`traffic.${group}.${name}.outlierDetection.consecutiveErrors`)}: deprecated, and Istio 1.23 ignores it ` +
          "(Envoy's default of 5 consecutive 5xx applies instead). It counted gateway errors (502, 503, 504): write " +
          `consecutiveGatewayErrors: ${n} for what it meant, or consecutive5xxErrors: ${n} to eject on any 5xx.`,
      );
    }
  }
  return problems;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
