// Section `aks-mesh:security.jwt`: JWT validation at the mesh against Keycloak realms. Per protected public host (at
// the ingress gateway) or service of the graph (at its sidecars): a RequestAuthentication with the realm's issuer and
// JWKS, and a DENY AuthorizationPolicy refusing requests without a valid token on the configured paths (a
// RequestAuthentication alone lets tokenless requests through), optionally without one of the required realm roles.
//
// The JWKS trap: by default istiod fetches the JWKS itself, and istiod has no sidecar, so it cannot reach an in-mesh
// Keycloak once STRICT mTLS is on (istio/istio#40553, #28742). This stack sets istiod's PILOT_JWT_ENABLE_REMOTE_JWKS
// to "hybrid" whenever a rule exists (pilot/pkg/features/pilot.go, 1.23.4 and 1.25.5): a jwksUri whose host:port is a
// mesh service is fetched by the protected workload's own Envoy through its outbound cluster (mTLS like any mesh
// call); any other is still fetched by istiod (pilot/pkg/security/authn/policy_applier.go). The lookup is by exact
// host and port, so an in-mesh jwksUri must name the Service's FQDN and one of its ports: checked below.
import { z } from "zod";
import type { CheckContext } from "../area";
import { dnsLabel, hostName } from "../primitives";
import { policyPath } from "./authorization";
import type { SecurityInput } from "./index";
import { unknownService } from "../mesh";

/** istiod's environment variable and the value this stack sets (see above). */
export const JWKS_FETCH_ENV = "PILOT_JWT_ENABLE_REMOTE_JWKS";
export const JWKS_FETCH_MODE = "hybrid";

/** Keycloak puts realm roles in the `realm_access.roles` claim; Istio reads a nested claim as [a][b]. */
export const REALM_ROLES_CLAIM = "request.auth.claims[realm_access][roles]";

const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });

export const jwtProvider = z.strictObject({
  issuer: httpUrl.describe("The realm's issuer (`iss` of its tokens), e.g. https://login.example.com/realms/shop."),
  jwksUri: httpUrl.describe(
    "The realm's JWKS: <keycloak>/realms/<realm>/protocol/openid-connect/certs. For an in-mesh Keycloak, its " +
      "Service's FQDN and port, e.g. http://keycloak.keycloak.svc.cluster.local:8080/realms/shop/protocol/openid-connect/certs.",
  ),
  audiences: z.array(z.string().min(1)).min(1).optional().describe("Accepted `aud` values (default: any)."),
});

export const jwtRule = z
  .strictObject({
    provider: dnsLabel.describe("Name of a provider under security.jwt.providers."),
    host: hostName
      .optional()
      .describe("A public host of ingress.hosts: validated at the ingress gateway (with service, choose one)."),
    service: dnsLabel.optional().describe("A service of aks-mesh:services: validated at its sidecars (or host)."),
    paths: z
      .array(policyPath)
      .min(1)
      .default(["*"])
      .describe(
        'Paths that require a token (AuthorizationPolicy paths: exact, "/prefix*", "*suffix"; default every path).',
      ),
    excludePaths: z
      .array(policyPath)
      .default([])
      .describe("Paths among those that stay open (notPaths), e.g. a public /api/health."),
    realmRoles: z
      .array(z.string().min(1))
      .default([])
      .describe("If set, the token must also carry at least one of these realm roles (claim realm_access.roles)."),
    forwardOriginalToken: z
      .boolean()
      .default(false)
      .describe("Keep the Authorization header for the application (jwtRules.forwardOriginalToken); default: removed."),
  })
  .refine((r) => (r.host === undefined) !== (r.service === undefined), "must name exactly one of host or service");

export const jwtSection = z
  .strictObject({
    providers: z.record(dnsLabel, jwtProvider).default({}).describe("Keycloak realms by name: issuer and JWKS URL."),
    rules: z
      .array(jwtRule)
      .default([])
      .describe(
        "Protected hosts and services: each gets a RequestAuthentication and a DENY AuthorizationPolicy for requests " +
          "without a valid token (rollback: remove the rule).",
      ),
  })
  .prefault({})
  .describe(
    "JWT at the mesh (Keycloak): RequestAuthentication plus a required-token policy per protected host or service; " +
      "istiod then runs with PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid so proxies fetch an in-mesh JWKS through the mesh.",
  );

export type JwtSection = z.output<typeof jwtSection>;
export type JwtRule = z.output<typeof jwtRule>;
export type JwtProvider = z.output<typeof jwtProvider>;

/** The resolved section: the parsed values. */
export type JwtConfig = JwtSection;

/** A graph service a URL's host:port addresses (by its cluster-local FQDN), or undefined. */
export function inMeshTarget(
  url: string,
  services: Readonly<
    Record<string, { readonly namespace: string; readonly ports: readonly { readonly port: number }[] }>
  >,
): { service: string; namespace: string; port: number; path: string } | { problem: string } | undefined {
  const u = new URL(url);
  const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  const labels = u.hostname.split(".");
  const [name, namespace] = labels;
  if (name === undefined || namespace === undefined) return undefined;
  const declared = services[name];
  if (declared === undefined || declared.namespace !== namespace) return undefined;
  const rest = labels.slice(2).join(".");
  if (rest !== "svc.cluster.local") {
    return {
      problem:
        `names service "${name}" as ${u.hostname}; istiod finds the mesh cluster of a jwksUri by its exact host, so ` +
        `write ${name}.${namespace}.svc.cluster.local (otherwise istiod fetches it, and cannot under STRICT mTLS)`,
    };
  }
  if (!declared.ports.some((p) => p.port === port)) {
    return {
      problem:
        `uses port ${port}, not a port of service "${name}" (${declared.ports.map((p) => p.port).join(", ")}); ` +
        "istiod looks the mesh cluster up by host and port, and would fetch the JWKS itself (unreachable under STRICT)",
    };
  }
  return { service: name, namespace, port, path: u.pathname };
}

export function jwtChecks(root: SecurityInput, { key }: CheckContext): string[] {
  const jwt = root.security.jwt;
  const problems: string[] = [];
  const providers = Object.keys(jwt.providers);
  const services = Object.keys(root.services);
  const hosts = root.ingress.hosts.map((h) => h.host);
  jwt.rules.forEach((r, i) => {
    const at = (f: string) => key(`security.jwt.rules[${i}].${f}`);
    if (!providers.includes(r.provider))
      problems.push(
        `${at("provider")}: "${r.provider}" is not a provider of ${key("security.jwt.providers")}` +
          (providers.length > 0 ? ` (it declares ${providers.map((p) => `"${p}"`).join(", ")})` : ""),
      );
    if (r.service !== undefined && !services.includes(r.service))
      problems.push(`${at("service")}: ${unknownService(r.service, services, key)}`);
    if (r.host !== undefined && !hosts.includes(r.host))
      problems.push(`${at("host")}: "${r.host}" is not a host of ${key("ingress.hosts")}`);
  });
  const targets = jwt.rules.map((r) => (r.host !== undefined ? `host ${r.host}` : `service ${r.service}`));
  targets.forEach((t, i) => {
    if (targets.indexOf(t) !== i)
      problems.push(
        `${key(`security.jwt.rules[${i}]`)}: ${t} already has a rule (rules[${targets.indexOf(t)}]); put its paths there`,
      );
  });
  for (const [name, p] of Object.entries(jwt.providers)) {
    const target = inMeshTarget(p.jwksUri, root.services);
    if (target && "problem" in target)
      problems.push(`${key(`security.jwt.providers.${name}.jwksUri`)} ${target.problem}`);
  }
  return problems;
}
