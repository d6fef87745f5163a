// JWT at the mesh (config aks-mesh:security.jwt): per rule, a RequestAuthentication on the protected workload (the
// ingress gateway for a host, the service's pods for a service) and a DENY AuthorizationPolicy for requests without a
// valid token of the rule's realm, or without one of the required realm roles, on the rule's paths. Pure specs first, then the component.
//
// Istio semantics relied on (JWT authentication task and AuthorizationPolicy reference):
// - a RequestAuthentication only rejects invalid tokens; a request with none passes, hence the DENY on
//   notRequestPrincipals ["*"];
// - a list claim matches when any element does, so DENY with notValues [roles] refuses a token holding none of them;
// - a DENY policy is evaluated before any ALLOW policy, and independently of the authorization section's dry-run.
import * as pulumi from "@pulumi/pulumi";
import type { ServiceGraph } from "../../config";
import { inMeshTarget, type JwtConfig, type JwtRule, REALM_ROLES_CLAIM } from "../../config/security/jwt";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { hostSlug, type IstioSpecs, istioObject, meshLabels } from "../shared";
import { type AuthorizationPolicySpec, type JwksFetch, principal } from "./authorization";

export type RequestAuthenticationSpec = IstioSpecs["RequestAuthentication"];

export interface JwtInput {
  readonly config: JwtConfig;
  readonly graph: ServiceGraph;
  readonly gateway: {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly selector: Readonly<Record<string, string>>;
  };
}

/** The workload a rule protects: where its objects go, what they select, and its identity. */
function target(rule: JwtRule, input: JwtInput) {
  if (rule.host !== undefined) {
    return {
      id: hostSlug(rule.host),
      namespace: input.gateway.namespace,
      selector: { ...input.gateway.selector },
      principal: principal(input.gateway.namespace, input.gateway.serviceAccount),
    };
  }
  const s = input.graph.services[rule.service ?? ""];
  if (!s) throw new Error(`jwt rule for "${rule.service}" was not checked against the graph`); // crossChecks refused it
  return {
    id: s.name,
    namespace: s.namespace,
    selector: { ...s.podLabels },
    principal: principal(s.namespace, s.serviceAccount),
  };
}

export interface PlannedJwt {
  readonly namespace: string;
  /** jwt-<target>: the RequestAuthentication; require-jwt-<target>: the DENY policy. */
  readonly target: string;
  readonly requestAuthentication: RequestAuthenticationSpec;
  readonly requireToken: AuthorizationPolicySpec;
}

/** The objects of every rule. */
export function jwtObjects(input: JwtInput): PlannedJwt[] {
  return input.config.rules.map((rule) => {
    const t = target(rule, input);
    const provider = input.config.providers[rule.provider];
    if (!provider) throw new Error(`jwt provider "${rule.provider}" was not checked`); // crossChecks refused it
    const selector = { matchLabels: t.selector };
    const operation = {
      ...(rule.host !== undefined ? { hosts: [rule.host, `${rule.host}:*`] } : {}),
      paths: [...rule.paths],
      ...(rule.excludePaths.length > 0 ? { notPaths: [...rule.excludePaths] } : {}),
    };
    // A request principal is "<iss>/<sub>": "<issuer>/*" is any token of this realm. Three rules, so the denied
    // request's log line names the reason (response_code_details rbac_access_denied_matched_policy[...-rule[N]]).
    const realm = `${provider.issuer}/*`;
    const rules: NonNullable<AuthorizationPolicySpec["rules"]> = [
      // rule 0: no valid token at all
      { from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation }] },
      // rule 1: a valid token of another issuer (another RequestAuthentication on the same workload accepts it)
      { from: [{ source: { requestPrincipals: ["*"], notRequestPrincipals: [realm] } }], to: [{ operation }] },
    ];
    // rule 2: a token of the realm holding none of the required roles
    if (rule.realmRoles.length > 0)
      rules.push({
        from: [{ source: { requestPrincipals: [realm] } }],
        to: [{ operation }],
        when: [{ key: REALM_ROLES_CLAIM, notValues: [...rule.realmRoles] }],
      });
    return {
      namespace: t.namespace,
      target: t.id,
      requestAuthentication: {
        selector,
        jwtRules: [
          {
            issuer: provider.issuer,
            jwksUri: provider.jwksUri,
            ...(provider.audiences ? { audiences: [...provider.audiences] } : {}),
            ...(rule.forwardOriginalToken ? { forwardOriginalToken: true } : {}),
          },
        ],
      },
      requireToken: { selector, action: "DENY", rules },
    };
  });
}

/**
 * Who fetches an in-mesh JWKS: with PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid the protected workload's own Envoy does, as
 * its own identity, so the JWKS service's authorization must allow it (the authorization section adds the rule).
 */
export function jwksFetches(input: JwtInput): JwksFetch[] {
  const out: JwksFetch[] = [];
  const services = Object.fromEntries(
    Object.values(input.graph.services).map((s) => [s.name, { namespace: s.namespace, ports: s.ports }]),
  );
  for (const rule of input.config.rules) {
    const provider = input.config.providers[rule.provider];
    if (!provider) continue;
    const served = inMeshTarget(provider.jwksUri, services);
    if (!served || "problem" in served) continue;
    out.push({ service: served.service, path: served.path, principal: target(rule, input).principal });
  }
  return out;
}

export interface JwtArgs extends JwtInput {
  handles: {
    controlPlane: ControlPlaneHandle;
    mesh: MeshHandle;
    /** What objects in the gateway namespace wait for. */
    gatewayReady: pulumi.Resource[];
  };
}

/** The RequestAuthentications and required-token policies of security.jwt. */
export class Jwt extends pulumi.ComponentResource {
  constructor(name: string, args: JwtArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:Jwt", name, {}, opts);
    const labels = meshLabels("security");
    for (const o of jwtObjects(args)) {
      const nsReady =
        o.namespace === args.gateway.namespace
          ? args.handles.gatewayReady
          : args.handles.mesh.namespaceReady(o.namespace);
      const childOpts = { parent: this, dependsOn: [...args.handles.controlPlane.ready, ...nsReady] };
      istioObject(
        "RequestAuthentication",
        `${name}-${o.namespace}-${o.target}`,
        { name: `jwt-${o.target}`, namespace: o.namespace, labels, spec: o.requestAuthentication },
        childOpts,
      );
      istioObject(
        "AuthorizationPolicy",
        `${name}-${o.namespace}-${o.target}-require`,
        { name: `require-jwt-${o.target}`, namespace: o.namespace, labels, spec: o.requireToken },
        childOpts,
      );
    }
    this.registerOutputs({});
  }
}
