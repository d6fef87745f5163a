// Global rate limits at the ingress gateway, as pure specs (tests and the plan read the same objects): the gateway's
// EnvoyFilter (Envoy's ratelimit HTTP filter plus the rate_limits actions of each limited host and route) and what the
// ratelimit service and Redis run. Field names follow Istio's task "Enabling Rate Limits using Envoy"
// (istio.io/v1.23/docs/tasks/policy-enforcement/rate-limit) and Envoy's v3 API; every field used exists in the Envoy
// of Istio 1.23.4 (1.31) and 1.25.5 (1.33), and Istio 1.23.4 registers the filter's type
// (pkg/config/xds/filter_types.gen.go, extensions/filters/http/ratelimit/v3).
import type { GlobalLimit, GlobalRateLimitConfig } from "../../config/global-rate-limit";
import { byKey, LIMIT_DESCRIPTOR_KEY, limitId } from "../../config/global-rate-limit";
import { GLOBAL_RATE_LIMIT_APP } from "../../policy/contract";
import { serviceFqdn } from "../shared";
import type { GatewayHostNames } from "./gateway-names";
import {
  type EnvoyFilterSpec,
  filterPatch,
  protoDuration,
  proxyVersionRegex,
  RATE_LIMIT_PRIORITY,
} from "./rate-limits";

type ConfigPatch = NonNullable<EnvoyFilterSpec["configPatches"]>[number];

export const RATELIMIT_FILTER = "envoy.filters.http.ratelimit";
export const RATELIMIT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit";

/**
 * Applied after the local rate limits (RATE_LIMIT_PRIORITY): both insert before the router, so the later one lands
 * nearer it and the order is local, global, router. A request the local bucket already refused costs no call to the
 * ratelimit service.
 */
export const GLOBAL_RATE_LIMIT_PRIORITY = RATE_LIMIT_PRIORITY + 10;

/** The ratelimit Service's name and its gRPC port (ratelimit's GRPC_PORT default, src/settings/settings.go). */
export const RATELIMIT_SERVICE = GLOBAL_RATE_LIMIT_APP;
export const RATELIMIT_GRPC_PORT = 8081;
/** Its HTTP port: /healthcheck answers there (src/server/server_impl.go). */
export const RATELIMIT_HTTP_PORT = 8080;
export const REDIS_SERVICE = "redis";
export const REDIS_PORT = 6379;

/**
 * The Envoy cluster Istio generates for the ratelimit Service's gRPC port, which the filter's envoy_grpc names:
 * `outbound|<port>||<fqdn>` (pilot/pkg/model/service.go BuildSubsetKey). It exists on the gateway because a gateway
 * sees every Service of the mesh's registry (no Sidecar scopes it).
 */
export function ratelimitCluster(namespace: string): string {
  return `outbound|${RATELIMIT_GRPC_PORT}||${serviceFqdn(RATELIMIT_SERVICE, namespace)}`;
}

/** A rate_limits entry of a route or virtual host: the actions that make one descriptor. */
export interface RateLimitActions {
  actions: (
    | { generic_key: { descriptor_key: string; descriptor_value: string } }
    | { request_headers: { header_name: string; descriptor_key: string } }
    | { remote_address: Record<string, never> }
  )[];
}

/**
 * The actions sending one limit's descriptor: limit=<id> (generic_key), then the header value or client address it
 * counts by. Envoy sends nothing for the entry when the header is absent (skip_if_absent false), so such a request is
 * not counted by a per-header limit.
 */
export function limitActions(l: GlobalLimit): RateLimitActions {
  const first = { generic_key: { descriptor_key: LIMIT_DESCRIPTOR_KEY, descriptor_value: limitId(l) } };
  if (!l.by) return { actions: [first] };
  const second = l.by.header
    ? { request_headers: { header_name: l.by.header, descriptor_key: byKey(l.by) } }
    : { remote_address: {} };
  return { actions: [first, second] };
}

/** The ratelimit filter's config: the domain, the service's cluster over gRPC (v3), fail open or closed, 429 headers. */
export function rateLimitFilterConfig(g: GlobalRateLimitConfig): Record<string, unknown> {
  return {
    "@type": RATELIMIT_TYPE,
    domain: g.domain,
    failure_mode_deny: g.failureModeDeny,
    ...(g.timeout ? { timeout: protoDuration(g.timeout) } : {}),
    enable_x_ratelimit_headers: "DRAFT_VERSION_03",
    rate_limit_service: {
      grpc_service: {
        envoy_grpc: {
          cluster_name: ratelimitCluster(g.namespace),
          authority: serviceFqdn(RATELIMIT_SERVICE, g.namespace),
        },
      },
      transport_api_version: "V3",
    },
  };
}

/**
 * The gateway's EnvoyFilter for one proxy version: the ratelimit filter before the router of every HTTP connection
 * manager; a host's limits as rate_limits on its virtual hosts; a route's on the route. A route with rate_limits of its
 * own ignores its virtual host's (RouteAction.include_vh_rate_limits defaults to false), so the host's actions are
 * repeated on such a route, explicitly rather than through that deprecated switch.
 */
export function globalRateLimitSpec(
  selector: Readonly<Record<string, string>>,
  version: string,
  g: GlobalRateLimitConfig,
  hosts: Readonly<Record<string, GatewayHostNames>>,
): EnvoyFilterSpec {
  const proxyVersion = proxyVersionRegex(version);
  const patches: ConfigPatch[] = [filterPatch("GATEWAY", proxyVersion, rateLimitFilterConfig(g), RATELIMIT_FILTER)];
  for (const [host, names] of Object.entries(hosts)) {
    const hostLimits = g.limits.filter((l) => l.host === host && l.prefix === undefined).map(limitActions);
    const prefixes = [
      ...new Set(g.limits.filter((l) => l.host === host && l.prefix !== undefined).map((l) => l.prefix)),
    ];
    for (const vhost of names.vhosts) {
      if (hostLimits.length > 0) {
        patches.push({
          applyTo: "VIRTUAL_HOST",
          match: { context: "GATEWAY", proxy: { proxyVersion }, routeConfiguration: { vhost: { name: vhost } } },
          patch: { operation: "MERGE", value: { rate_limits: hostLimits } },
        });
      }
      for (const prefix of prefixes) {
        const route = prefix === undefined ? undefined : names.routes[prefix];
        if (route === undefined) throw new Error(`global rate limit for ${host}${prefix} was not checked`); // crossChecks refused it
        const own = g.limits.filter((l) => l.host === host && l.prefix === prefix).map(limitActions);
        patches.push({
          applyTo: "HTTP_ROUTE",
          match: {
            context: "GATEWAY",
            proxy: { proxyVersion },
            routeConfiguration: { vhost: { name: vhost, route: { name: route } } },
          },
          patch: { operation: "MERGE", value: { route: { rate_limits: [...own, ...hostLimits] } } },
        });
      }
    }
  }
  return {
    workloadSelector: { labels: { ...selector } },
    priority: GLOBAL_RATE_LIMIT_PRIORITY,
    configPatches: patches,
  };
}
