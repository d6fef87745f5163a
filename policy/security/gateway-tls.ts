// TLS on the public hosts: every server of an Istio Gateway terminates TLS 1.2 or later, or its plain HTTP only sends
// clients to HTTPS. Read as istiod reads a Gateway server (1.23.4 and 1.25.5):
// - a server whose port protocol is HTTPS or TLS and whose tls.mode is SIMPLE, MUTUAL or OPTIONAL_MUTUAL terminates
//   TLS at the gateway with tls.minProtocolVersion; unset is TLS_AUTO, which leaves Envoy's default in place
//   (pilot/pkg/networking/core/listener.go applyServerTLSSettings). tls.mode unset is PASSTHROUGH, the enum's zero
//   (networking/v1alpha3 gateway.proto ServerTLSSettings.TLSmode): the backend terminates TLS then, not the gateway;
// - a plain-HTTP server with tls.httpsRedirect answers every request of its hosts with a 301 to https
//   (pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig: require_tls ALL on the virtual host);
// - the one other plain-HTTP server accepted serves hosts whose certificate an ACME issuer of the stack obtains
//   through HTTP-01: its challenge can only be answered over plain HTTP (RFC 8555 §8.3), and the routes the stack binds
//   to it for those hosts only redirect to https (VirtualService http[].redirect.scheme "https"). The challenge route
//   itself is made at run time by cert-manager's solver Ingress, not by the stack.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  hostsMatch,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObjects,
  knownItems,
  namespacedRef,
  num,
  str,
  UNKNOWN,
  type Unknown,
} from "../lib";
import { strings, vsGateways } from "../lib/virtual-services";

const CERT_MANAGER_GROUP = "cert-manager.io";
const TERMINATING_MODES = new Set(["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"]);
const TLS_PROTOCOLS = new Set(["HTTPS", "TLS"]);
/** Protocols istiod serves with HTTP routes on a gateway (protocol.Instance.IsHTTP). */
const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-WEB"]);
const MIN_VERSIONS = new Set(["TLSV1_2", "TLSV1_3"]);

/** The host part of a Gateway server host ("ns/host", "./host", "*\/host" or "host"). */
function hostPart(serverHost: string): string {
  const slash = serverHost.indexOf("/");
  return slash < 0 ? serverHost : serverHost.slice(slash + 1);
}

/**
 * Hosts whose certificate an ACME issuer of the stack obtains through HTTP-01: the dnsNames of every cert-manager
 * Certificate whose issuerRef names an Issuer (same namespace) or ClusterIssuer of the stack with an http01 solver.
 * UNKNOWN while a Certificate's issuer or names are unknown (preview): then no host can be said to lack one.
 */
function http01Hosts(objects: KubeObject[]): Set<string> | Unknown {
  const issuers = objects.filter(
    (o) => o.group === CERT_MANAGER_GROUP && (o.kind === "Issuer" || o.kind === "ClusterIssuer"),
  );
  const solvesHttp01 = (o: KubeObject) =>
    knownItems(at(o.spec, "acme", "solvers")).some((s) => at(s, "http01") !== undefined);
  const hosts = new Set<string>();
  for (const c of objects) {
    if (c.group !== CERT_MANAGER_GROUP || c.kind !== "Certificate" || c.namespace === UNKNOWN) continue;
    const kind = str(at(c.spec, "issuerRef", "kind")) ?? "Issuer";
    const name = str(at(c.spec, "issuerRef", "name"));
    if (kind === UNKNOWN || name === UNKNOWN) return UNKNOWN;
    if (name === undefined) continue;
    const issuer = issuers.find(
      (i) => i.kind === kind && i.name === name && (kind === "ClusterIssuer" || i.namespace === c.namespace),
    );
    if (!issuer || !solvesHttp01(issuer)) continue;
    const dnsNames = strings(at(c.spec, "dnsNames"));
    if (dnsNames === UNKNOWN) return UNKNOWN;
    for (const d of dnsNames) hosts.add(d);
  }
  return hosts;
}

/** Whether an http route of a VirtualService applies to a listener port (a match's port filters it: route.go). */
function appliesToPort(route: Json, port: number): boolean {
  const matches = knownItems(at(route, "match"));
  if (matches.length === 0) return true;
  return matches.some((m) => {
    const p = num(at(m, "port"));
    return p === undefined || p === UNKNOWN || p === port;
  });
}

/** Why a route does not only redirect to https; undefined when it does. */
function notARedirect(route: Json): string | undefined {
  if (at(route, "redirect") === undefined) return "it does not redirect";
  const scheme = str(at(route, "redirect", "scheme"));
  if (scheme === UNKNOWN) return undefined;
  return scheme === "https" ? undefined : `it redirects with scheme ${scheme ?? "unset (kept http)"}`;
}

/** Problems of a plain-HTTP server without httpsRedirect, read as the ACME HTTP-01 exception; [] when it is one. */
function challengeServerProblems(
  gw: KubeObject,
  server: { port: number; hosts: string[] },
  virtualServices: KubeObject[],
  acmeHosts: Set<string> | Unknown,
): string[] {
  const problems: string[] = [];
  const hosts = server.hosts.map(hostPart);
  const uncovered = acmeHosts === UNKNOWN ? [] : hosts.filter((h) => !acmeHosts.has(h));
  if (uncovered.length > 0) {
    problems.push(`${uncovered.join(", ")} ${uncovered.length > 1 ? "have" : "has"} no ACME HTTP-01 certificate`);
  }
  if (gw.name === UNKNOWN || gw.namespace === UNKNOWN) return problems;
  for (const vs of virtualServices) {
    if (vs.namespace === UNKNOWN) continue;
    const gateways = vsGateways(vs);
    if (gateways === UNKNOWN) continue;
    const bound = gateways.some((g) => {
      const ref = namespacedRef(g, vs.namespace as string);
      return ref.namespace === gw.namespace && ref.name === gw.name;
    });
    const vsHosts = strings(at(vs.spec, "hosts"));
    if (!bound || vsHosts === UNKNOWN || !vsHosts.some((h) => hosts.some((sh) => hostsMatch(h, sh)))) continue;
    knownItems(at(vs.spec, "http")).forEach((route, i) => {
      if (!appliesToPort(route, server.port)) return;
      const why = notARedirect(route);
      if (why) problems.push(`VirtualService ${fullName(vs)} http[${i}] serves it in plain HTTP (${why})`);
    });
  }
  return problems;
}

export const publicGatewayHttpsOnly: StackValidationPolicy & Why = {
  name: "public-gateway-https-only",
  description:
    "Every Gateway server that terminates TLS pins tls.minProtocolVersion TLSV1_2 or TLSV1_3, and a plain-HTTP server " +
    "only redirects to HTTPS (tls.httpsRedirect), except the ACME HTTP-01 challenge of hosts whose certificate the " +
    "stack's issuer obtains that way, with every other route a redirect to https (house rule after Istio's secure " +
    "gateways task; read as pilot/pkg/networking/core/gateway.go and listener.go).",
  enforcementLevel: "mandatory",
  why: "_house rule_: public hosts carry logins and tokens; TLS below 1.2 is deprecated (RFC 8996)",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const virtualServices = istioObjects(objects, "VirtualService");
    const acmeHosts = http01Hosts(objects);
    for (const gw of istioObjects(objects, "Gateway")) {
      knownItems(at(gw.spec, "servers")).forEach((server, i) => {
        const protocol = str(at(server, "port", "protocol"));
        const port = num(at(server, "port", "number"));
        const hosts = strings(at(server, "hosts"));
        if (protocol === UNKNOWN || port === UNKNOWN || hosts === UNKNOWN || protocol === undefined) return;
        const where = `Gateway ${fullName(gw)} servers[${i}] (port ${port ?? "?"}, ${hosts.join(", ")})`;
        const proto = protocol.toUpperCase();
        const tls = at(server, "tls");
        if (TLS_PROTOCOLS.has(proto)) {
          const mode = str(at(tls, "mode")) ?? "PASSTHROUGH";
          const min = str(at(tls, "minProtocolVersion")) ?? "TLS_AUTO";
          if (mode === UNKNOWN || min === UNKNOWN || !TERMINATING_MODES.has(mode) || MIN_VERSIONS.has(min)) return;
          report(
            `${where} terminates TLS with minProtocolVersion ${min}${min === "TLS_AUTO" ? " (unset: Envoy's default, not pinned)" : ""}: ` +
              "set tls.minProtocolVersion: TLSV1_2 (or TLSV1_3).",
            gw.urn,
          );
          return;
        }
        const redirect = at(tls, "httpsRedirect");
        if (redirect === UNKNOWN) return;
        if (!HTTP_PROTOCOLS.has(proto)) {
          report(`${where} serves ${proto} in plaintext: serve it as HTTPS or TLS with a certificate.`, gw.urn);
          return;
        }
        if (redirect === true) return;
        const problems = challengeServerProblems(gw, { port: port ?? 80, hosts }, virtualServices, acmeHosts);
        if (problems.length === 0) return;
        report(
          `${where} serves plain HTTP without redirecting to HTTPS: ${problems.join("; ")}. Set ` +
            "tls.httpsRedirect: true and serve the hosts on an HTTPS server (aks-mesh:ingress.hosts[].tls, " +
            "aks-mesh:observability.tls); only an ACME HTTP-01 challenge may stay on plain HTTP " +
            "(aks-mesh:security.certificates.issue).",
          gw.urn,
        );
      });
    }
  },
};
