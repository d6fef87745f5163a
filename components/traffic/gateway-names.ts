// The Envoy names of a public host at the ingress gateway, which gateway EnvoyFilters (local and global rate limits)
// match: its virtual hosts and its routes. One derivation, so both kinds of limit always target the same objects.
import type { MeshConfig } from "../../config";
import { envoyRouteName } from "../ingress/host-routes";

/** One host's Envoy names: its virtual hosts, and per route prefix the route's name. */
export interface GatewayHostNames {
  /** "<host>:<port>" (pilot/pkg/networking/core/gateway.go, util.DomainName): 443 with TLS, 80 when plain HTTP serves it too. */
  readonly vhosts: readonly string[];
  /** Route prefix -> Envoy route name (`<service>-<path>`, or `<root>-<service>` for a delegated path). */
  readonly routes: Readonly<Record<string, string>>;
}

export function gatewayHostNames(config: MeshConfig, hostName: string): GatewayHostNames {
  const host = config.ingress.hosts.find((h) => h.host === hostName);
  if (!host) throw new Error(`gateway limit for "${hostName}" was not checked against ingress.hosts`); // crossChecks refused it
  const ports = host.tls ? (host.tls.httpsRedirect ? [443] : [443, 80]) : [80];
  return {
    vhosts: ports.map((p) => `${host.host}:${p}`),
    routes: Object.fromEntries(host.routes.map((r) => [r.prefix, envoyRouteName(r)])),
  };
}
