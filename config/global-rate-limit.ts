// Global rate limiting (aks-mesh:traffic.globalRateLimit): Envoy's ratelimit service (github.com/envoyproxy/ratelimit)
// with Redis, asked by the ingress gateway for every request of a limited host or route, so one budget holds across
// every gateway replica. This module owns the schema, the descriptor config the service loads (built as an object from
// the limits) and the rules the service's loader applies to it, so a config it would refuse never reaches the cluster.
import { z } from "zod";
import { dnsLabel, durationMs, hostName, resources } from "./primitives";

/**
 * Units the pinned ratelimit accepts AND can count in. Its loader takes any name of the RateLimitResponse.RateLimit.Unit
 * enum but UNKNOWN (src/config/config_impl.go loadDescriptors, "invalid rate limit unit"), yet at the pinned commit
 * 30a4ce1a src/utils/utilities.go UnitToDivider handles only SECOND, MINUTE, HOUR and DAY and panics on any other at
 * request time: month and year would load and then fail every request they match.
 */
export const RATE_LIMIT_UNITS = ["second", "minute", "hour", "day"] as const;
export type RateLimitUnit = (typeof RATE_LIMIT_UNITS)[number];

/**
 * The ratelimit image Istio's own sample uses at 1.23.4, 1.25.5 and master (samples/ratelimit/rate-limit-service.yaml:
 * envoyproxy/ratelimit:30a4ce1a, "2024/08/01"); ratelimit publishes no versions after v1.4.0, only commit tags (README
 * "Docker Image"). Its digest is not published anywhere this repository can cite: read it with
 * `docker buildx imagetools inspect docker.io/envoyproxy/ratelimit:30a4ce1a --format '{{json .Manifest.Digest}}'`.
 */
export const RATELIMIT_IMAGE = "docker.io/envoyproxy/ratelimit";
export const RATELIMIT_TAG = "30a4ce1a";
/**
 * Redis 7.4.11 on Alpine, the official image's index digest as docker-library/repo-info records it
 * (repos/redis/remote/7.4.11-alpine.md, commit 1742085a). The image runs as uid 999 / gid 1000 (its Dockerfile's
 * adduser) and ships with protected-mode off, so the ratelimit pods can connect without a password.
 */
export const REDIS_IMAGE = "docker.io/library/redis";
export const REDIS_TAG = "7.4.11-alpine";
export const REDIS_DIGEST = "sha256:ff02b58f971e7d7d156a1267e283fcbbeee91773b6aa36c49dac28ecfe28eadf";

/** A timeout such as "20ms" or "1s" (sent to Envoy as a protobuf duration). */
const timeout = z
  .string()
  .regex(/^[0-9]+(ms|s)$/, 'must be a duration such as "20ms" or "1s"')
  .refine((d) => (durationMs(d) ?? 0) >= 1, "must be at least 1ms");

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be a digest sha256:<64 hex>");
const tag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be an image tag such as 30a4ce1a");

const by = z
  .strictObject({
    header: z
      .string()
      .regex(/^[a-z0-9-]+$/, "must be a lowercase HTTP header name such as x-user-id")
      .optional()
      .describe(
        "Count per value of this request header (e.g. x-user-id: a quota per user); a request without the header is " +
          "not counted by this limit (Envoy request_headers action, skip_if_absent false).",
      ),
    remoteAddress: z
      .literal(true)
      .optional()
      .describe(
        "Count per client address (Envoy remote_address action: the gateway's view of the client, which follows " +
          "meshConfig numTrustedProxies when the gateway sits behind another proxy).",
      ),
  })
  .refine(
    (b) => (b.header === undefined) !== (b.remoteAddress === undefined),
    "set exactly one of header, remoteAddress",
  )
  .describe("Count separately per request header value or per client address, instead of one counter for all.");

export const globalLimit = z
  .strictObject({
    host: hostName.describe("A host of aks-mesh:ingress.hosts."),
    prefix: z
      .string()
      .startsWith("/")
      .optional()
      .describe("A route of that host (its prefix); omitted: every request to the host."),
    by: by.optional(),
    requestsPerUnit: z
      .int()
      .min(0)
      .max(4294967295)
      .describe(
        "rate_limit.requests_per_unit: requests allowed per unit, across every gateway replica (0 blocks all).",
      ),
    unit: z.enum(RATE_LIMIT_UNITS).describe("rate_limit.unit: second, minute, hour or day (a fixed window)."),
  })
  .describe(
    "A global limit at the ingress gateway: one counter in Redis for the host or route (or per header/address).",
  );
export type GlobalLimit = z.infer<typeof globalLimit>;

export const globalRateLimit = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe("Deploy the ratelimit service and Redis and make the gateway ask them. Rollback: false."),
    namespace: dnsLabel
      .default("ratelimit")
      .describe("Namespace created for the ratelimit service and Redis (outside the mesh: no sidecars)."),
    domain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be a non-empty name such as aks-mesh")
      .default("aks-mesh")
      .describe("The ratelimit domain: the gateway's filter `domain` and the service config's `domain`."),
    failureModeDeny: z
      .boolean()
      .default(false)
      .describe(
        "failure_mode_deny: when the ratelimit service errors or times out, false lets the request through (fail " +
          "open: an outage of the limiter is not an outage of the site), true answers 500 (fail closed).",
      ),
    timeout: timeout
      .optional()
      .describe("How long the gateway waits for the ratelimit service (filter `timeout`; Envoy's default 20ms)."),
    replicas: z
      .int()
      .min(1)
      .max(20)
      .default(2)
      .describe("ratelimit Deployment replicas (stateless; counters in Redis)."),
    images: z
      .strictObject({
        ratelimit: z
          .strictObject({
            tag: tag.default(RATELIMIT_TAG).describe("envoyproxy/ratelimit commit tag (Istio's sample's)."),
            digest: digest
              .optional()
              .describe(
                "Its digest; required in production. Read it with `docker buildx imagetools inspect " +
                  "docker.io/envoyproxy/ratelimit:<tag> --format '{{json .Manifest.Digest}}'`.",
              ),
          })
          .prefault({})
          .describe("docker.io/envoyproxy/ratelimit, pinned by tag and digest."),
        redis: z
          .strictObject({
            tag: tag.default(REDIS_TAG).describe("redis tag."),
            digest: digest.default(REDIS_DIGEST).describe("Its index digest (docker-library/repo-info)."),
          })
          .prefault({})
          .describe("docker.io/library/redis, pinned by tag and digest."),
      })
      .prefault({})
      .describe("The two images, each pinned by tag and digest."),
    resources: z
      .strictObject({
        ratelimit: resources
          .default({ requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } })
          .describe("ratelimit container resources."),
        redis: resources
          .default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } })
          .describe("Redis container resources (its memory bounds the counters it holds)."),
      })
      .prefault({})
      .describe("Container resources."),
    limits: z
      .array(globalLimit)
      .default([])
      .describe("The limits, per gateway host or route, optionally per header value or client address."),
  })
  .prefault({})
  .describe(
    "Global rate limiting at the ingress gateway (docs/traffic.md, Global rate limiting): Envoy's ratelimit service " +
      "with Redis, one budget shared by every gateway replica. Off by default.",
  );
export type GlobalRateLimitConfig = z.infer<typeof globalRateLimit>;

/** The descriptor key the gateway's generic_key action sends, naming which limit a request falls under. */
export const LIMIT_DESCRIPTOR_KEY = "limit";
/** The key Envoy's remote_address action sends (fixed by Envoy: route_components.proto RemoteAddress). */
export const REMOTE_ADDRESS_KEY = "remote_address";

/**
 * The value naming one limit in its descriptors: host, route prefix and what it counts by, without "*" (the loader
 * reads a "*" in a value as a wildcard) and stable, so the counters survive unrelated config changes.
 */
export function limitId(l: Pick<GlobalLimit, "host" | "prefix" | "by">): string {
  const host = l.host.replace(/^\*\./, "wildcard.");
  const path = l.prefix === undefined ? "" : l.prefix === "/" ? "/root" : l.prefix.replace(/\/+$/, "");
  const per = l.by?.header !== undefined ? `#header:${l.by.header}` : l.by?.remoteAddress ? "#remote_address" : "";
  return `${host}${path}${per}`;
}

/** The descriptor key a limit's second entry has when it counts per header or address. */
export function byKey(b: NonNullable<GlobalLimit["by"]>): string {
  return b.header ?? REMOTE_ADDRESS_KEY;
}

/** One node of the service's descriptor config (README "Descriptor list definition"). */
export interface RateLimitDescriptor {
  key: string;
  value?: string;
  rate_limit?: { unit: string; requests_per_unit: number };
  descriptors?: RateLimitDescriptor[];
}
/** The file the ratelimit service loads: one domain and its descriptors. */
export interface RateLimitServiceConfig {
  domain: string;
  descriptors: RateLimitDescriptor[];
}

/**
 * The service config for these limits: per limit a descriptor limit=<id> holding its rate limit, or, when it counts per
 * header/address, a nested descriptor with only a key (the service then keeps one counter per value it sees).
 */
export function rateLimitServiceConfig(domain: string, limits: readonly GlobalLimit[]): RateLimitServiceConfig {
  return {
    domain,
    descriptors: limits.map((l) => {
      const rate_limit = { unit: l.unit, requests_per_unit: l.requestsPerUnit };
      return {
        key: LIMIT_DESCRIPTOR_KEY,
        value: limitId(l),
        ...(l.by ? { descriptors: [{ key: byKey(l.by), rate_limit }] } : { rate_limit }),
      };
    }),
  };
}

/** The keys the loader accepts (config_impl.go validKeys); any other key panics the load. */
const LOADER_KEYS = new Set([
  "domain",
  "key",
  "value",
  "descriptors",
  "rate_limit",
  "unit",
  "requests_per_unit",
  "unlimited",
  "shadow_mode",
  "quota_mode",
  "name",
  "replaces",
  "detailed_metric",
  "value_to_metric",
  "share_threshold",
  "metadata",
]);

/**
 * What envoyproxy/ratelimit's file loader would refuse in this config (src/config/config_impl.go: validateYamlKeys,
 * loadConfig, loadDescriptors), each problem with its path: an unknown key, an empty domain, a descriptor without a
 * key, two descriptors with the same composite key (key, or key_value) at one level, a unit outside RATE_LIMIT_UNITS,
 * requests_per_unit outside uint32. The service refuses the whole file on any of them and limits nothing.
 */
export function loaderProblems(config: RateLimitServiceConfig): string[] {
  const problems: string[] = [];
  const keys = (o: object, at: string) => {
    for (const k of Object.keys(o)) if (!LOADER_KEYS.has(k)) problems.push(`${at}: unknown key "${k}"`);
  };
  keys(config, "config");
  if (config.domain === "") problems.push("domain: empty (the loader refuses a config without a domain)");
  const walk = (list: readonly RateLimitDescriptor[], at: string) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      const here = `${at}[${i}]`;
      keys(d, here);
      if (d.key === "") problems.push(`${here}: empty key`);
      const composite = d.value ? `${d.key}_${d.value}` : d.key;
      if (seen.has(composite)) problems.push(`${here}: duplicate descriptor composite key "${composite}"`);
      seen.add(composite);
      if (d.rate_limit) {
        keys(d.rate_limit, `${here}.rate_limit`);
        if (!(RATE_LIMIT_UNITS as readonly string[]).includes(d.rate_limit.unit.toLowerCase())) {
          problems.push(`${here}.rate_limit.unit: "${d.rate_limit.unit}" is not one of ${RATE_LIMIT_UNITS.join(", ")}`);
        }
        const n = d.rate_limit.requests_per_unit;
        if (!Number.isInteger(n) || n < 0 || n > 4294967295) {
          problems.push(`${here}.rate_limit.requests_per_unit: ${n} is not a uint32`);
        }
      }
      if (d.descriptors) walk(d.descriptors, `${here}.descriptors`);
    });
  };
  walk(config.descriptors, "descriptors");
  return problems;
}
