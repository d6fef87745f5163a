// Area "traffic" (components/traffic): how a service of the graph (aks-mesh:services) is called. `aks-mesh:traffic`
// holds named presets of traffic policy, defined once per stack, and per service a preset and/or its own fields; each
// service with a policy gets one DestinationRule. Every field maps to one field of Istio's DestinationRule
// trafficPolicy (istio.io/latest/docs/reference/config/networking/destination-rule), checked against the 1.23 CRD.
import { z } from "zod";
import type { ConfigArea, Parsed } from "./area";
import type { meshKeys } from "./mesh";
import { unknownService } from "./mesh";
import { dnsLabel, durationMs } from "./primitives";
import { closest } from "./suggest";

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

export const loadBalancer = z
  .strictObject({
    simple: z
      .enum(LOAD_BALANCERS)
      .optional()
      .describe("loadBalancer.simple: ROUND_ROBIN, LEAST_REQUEST (Istio's default) or RANDOM."),
  })
  .describe("Load-balancing algorithm (DestinationRule trafficPolicy.loadBalancer).");

const policyFields = {
  outlierDetection: outlierDetection.optional(),
  connectionPool: connectionPool.optional(),
  loadBalancer: loadBalancer.optional(),
};

/** A traffic policy: the DestinationRule trafficPolicy fields this stack sets; every field optional. */
export const trafficPolicy = z.strictObject(policyFields);
export type TrafficPolicy = z.infer<typeof trafficPolicy>;

export const serviceTraffic = z.strictObject({
  preset: dnsLabel.optional().describe("A preset of aks-mesh:traffic.presets; the fields below override it."),
  ...policyFields,
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
          "value of that field only (field by field: outlierDetection.interval, connectionPool.http.maxRetries, ...); " +
          "the service gets one DestinationRule named after it. Rollback: remove the service's entry.",
      ),
  })
  .prefault({})
  .describe("Traffic policy per service: circuit breakers, connection pools, load balancing (README: Traffic policy).");

export const trafficKeys = { traffic: trafficSection };

type TrafficInput = Parsed<typeof trafficKeys> & Pick<Parsed<typeof meshKeys>, "services">;

/** One service's resolved policy. */
export interface ServiceTrafficPolicy {
  /** The preset it starts from, if any. */
  readonly preset?: string;
  /** The preset merged with the service's own fields. */
  readonly policy: TrafficPolicy;
}

/** The traffic area's part of the validated config. */
export interface TrafficAreaConfig {
  readonly traffic: {
    /** By service name: each service of the graph with a non-empty policy. */
    readonly services: Readonly<Record<string, ServiceTrafficPolicy>>;
  };
}

/**
 * A preset with a service's overrides laid over it, field by field: a field the service sets replaces the preset's
 * value of that field, and every other field of the preset stays (connectionPool.tcp and .http are merged the same way).
 */
export function mergePolicy(base: TrafficPolicy, over: TrafficPolicy): TrafficPolicy {
  const outlier = merged(base.outlierDetection, over.outlierDetection);
  const lb = merged(base.loadBalancer, over.loadBalancer);
  const tcp = merged(base.connectionPool?.tcp, over.connectionPool?.tcp);
  const http = merged(base.connectionPool?.http, over.connectionPool?.http);
  const pool = tcp || http ? { ...(tcp ? { tcp } : {}), ...(http ? { http } : {}) } : undefined;
  return {
    ...(outlier ? { outlierDetection: outlier } : {}),
    ...(pool ? { connectionPool: pool } : {}),
    ...(lb ? { loadBalancer: lb } : {}),
  };
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
  crossChecks: (root, { key }) => trafficChecks(root, key),
  resolve: (root) => {
    const services: Record<string, ServiceTrafficPolicy> = {};
    for (const [name, entry] of Object.entries(root.traffic.services)) {
      const { preset, ...own } = entry;
      const policy = mergePolicy(preset ? (root.traffic.presets[preset] ?? {}) : {}, own);
      if (Object.keys(policy).length === 0) continue;
      services[name] = { ...(preset ? { preset } : {}), policy };
    }
    return { traffic: { services } };
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
