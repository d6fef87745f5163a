// Local rate limits (Envoy's token bucket, per proxy) as EnvoyFilter specs: pure, so tests and the plan read the same
// objects. Written for the Envoy that Istio 1.23 ships (filter envoy.filters.http.local_ratelimit, API v3; Istio 1.23.4
// registers its type in pkg/config/xds/filter_types.gen.go), and scoped to each installed proxy version.
import type { GatewayRateLimit, TokenBucket } from "../../config/traffic";
import { durationMs } from "../../config/primitives";
import type { IstioSpecs } from "../shared";

export type EnvoyFilterSpec = IstioSpecs["EnvoyFilter"];
type ConfigPatch = NonNullable<EnvoyFilterSpec["configPatches"]>[number];

/** The HTTP filter's name and its config's type URL (Envoy local rate limit, v3 API). */
export const LOCAL_RATELIMIT_FILTER = "envoy.filters.http.local_ratelimit";
export const LOCAL_RATELIMIT_TYPE =
  "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
const HCM = "envoy.filters.network.http_connection_manager";
const ROUTER = "envoy.filters.http.router";
const STAT_PREFIX = "http_local_rate_limiter";

/**
 * Relative patches (INSERT_BEFORE) get a priority, as istioctl analyze IST0151/IST0155 asks: without one, the order
 * against other EnvoyFilters is creation order, which an upgrade can change.
 */
export const RATE_LIMIT_PRIORITY = 10;

/**
 * The proxyVersion regex of one Istio version: that exact release ("1.23.4", or "1.23.4-<suffix>"), never "1.23.40".
 * Istio matches it against the proxy's ISTIO_VERSION (pilot/pkg/model/envoyfilter.go proxyMatch). Exact rather than
 * per minor: during a patch canary (1.23.4 and 1.23.5 side by side) two per-minor copies would both match every
 * proxy and insert the filter twice.
 */
export function proxyVersionRegex(version: string): string {
  return `^${version.replace(/\./g, "\\.")}([^0-9].*)?$`;
}

/** The versions a filter is copied for: each distinct version of the installed revisions, in order. */
export function distinctVersions(revisions: readonly { version: string }[]): string[] {
  return [...new Set(revisions.map((r) => r.version))];
}

/** "1.23.4" -> "1-23-4", for object names. */
export function versionSlug(version: string): string {
  return version.replace(/[^0-9a-z]+/gi, "-").toLowerCase();
}

/** A duration as protobuf JSON writes it: seconds with an "s" ("500ms" -> "0.5s"). */
export function protoDuration(d: string): string {
  return `${(durationMs(d) ?? 0) / 1000}s`;
}

/**
 * The filter's full config for one bucket: enabled and enforced for every request, 429 (Envoy's default, set
 * explicitly), x-ratelimit-limit / x-ratelimit-remaining headers (IETF draft 03, enable_x_ratelimit_headers) and
 * x-local-rate-limit: true on a limited response.
 */
export function localRateLimitConfig(bucket: TokenBucket): Record<string, unknown> {
  const always = (runtimeKey: string) => ({
    runtime_key: runtimeKey,
    default_value: { numerator: 100, denominator: "HUNDRED" },
  });
  return {
    "@type": LOCAL_RATELIMIT_TYPE,
    stat_prefix: STAT_PREFIX,
    status: { code: "TooManyRequests" },
    token_bucket: {
      max_tokens: bucket.maxTokens,
      tokens_per_fill: bucket.tokensPerFill,
      fill_interval: protoDuration(bucket.fillInterval),
    },
    filter_enabled: always("local_rate_limit_enabled"),
    filter_enforced: always("local_rate_limit_enforced"),
    response_headers_to_add: [
      { append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "x-local-rate-limit", value: "true" } },
    ],
    enable_x_ratelimit_headers: "DRAFT_VERSION_03",
  };
}

/** An HTTP filter inserted before the router of every HTTP connection manager of the context. */
export function filterPatch(
  context: "GATEWAY" | "SIDECAR_INBOUND",
  proxyVersion: string,
  typedConfig: Record<string, unknown>,
  filter = LOCAL_RATELIMIT_FILTER,
): ConfigPatch {
  return {
    applyTo: "HTTP_FILTER",
    match: {
      context,
      proxy: { proxyVersion },
      listener: { filterChain: { filter: { name: HCM, subFilter: { name: ROUTER } } } },
    },
    patch: { operation: "INSERT_BEFORE", value: { name: filter, typed_config: typedConfig } },
  };
}

/** One gateway limit with the Envoy names it matches: the virtual hosts of its host, and its route's name if any. */
export interface GatewayLimitTarget {
  readonly limit: GatewayRateLimit;
  /** Envoy virtual host names ("<host>:<port>": pilot/pkg/networking/core/gateway.go, util.DomainName). */
  readonly vhosts: readonly string[];
  /** The Envoy route name, when the limit is for one route. */
  readonly route?: string;
}

/**
 * The gateway's EnvoyFilter for one proxy version: the filter, off by default (no bucket), in every HTTP connection
 * manager of the gateway; then each limit's bucket on its virtual host (VIRTUAL_HOST) or its route (HTTP_ROUTE), as
 * typed_per_filter_config. A route's config replaces its virtual host's: the most specific one applies.
 */
export function gatewayRateLimitSpec(
  selector: Record<string, string>,
  version: string,
  targets: readonly GatewayLimitTarget[],
): EnvoyFilterSpec {
  const proxyVersion = proxyVersionRegex(version);
  const patches: ConfigPatch[] = [
    filterPatch("GATEWAY", proxyVersion, { "@type": LOCAL_RATELIMIT_TYPE, stat_prefix: STAT_PREFIX }),
  ];
  for (const t of targets) {
    const perFilter = { typed_per_filter_config: { [LOCAL_RATELIMIT_FILTER]: localRateLimitConfig(t.limit) } };
    for (const vhost of t.vhosts) {
      patches.push({
        applyTo: t.route ? "HTTP_ROUTE" : "VIRTUAL_HOST",
        match: {
          context: "GATEWAY",
          proxy: { proxyVersion },
          routeConfiguration: { vhost: { name: vhost, ...(t.route ? { route: { name: t.route } } : {}) } },
        },
        patch: { operation: "MERGE", value: perFilter },
      });
    }
  }
  return { workloadSelector: { labels: { ...selector } }, priority: RATE_LIMIT_PRIORITY, configPatches: patches };
}

/** A service's sidecar EnvoyFilter for one proxy version: the filter with its bucket on every inbound HTTP request. */
export function sidecarRateLimitSpec(
  selector: Readonly<Record<string, string>>,
  version: string,
  bucket: TokenBucket,
): EnvoyFilterSpec {
  return {
    workloadSelector: { labels: { ...selector } },
    priority: RATE_LIMIT_PRIORITY,
    configPatches: [filterPatch("SIDECAR_INBOUND", proxyVersionRegex(version), localRateLimitConfig(bucket))],
  };
}
