// Authorization from the service graph (config aks-mesh:security.authorization): which AuthorizationPolicies a graph
// gives, as pure data the component, its tests and docs/security.md read alike.
//
// Istio's rules this follows (AuthorizationPolicy reference; pilot/pkg/security/authz/builder/builder.go, 1.23.4):
// - An ALLOW policy with no rules matches nothing (the builder emits a never-matching policy for it): with no other
//   ALLOW policy, every request to the workload is denied. `spec: {}` in a namespace is therefore its default-deny.
// - ALLOW policies of a workload are OR'ed; once one is enforced, anything no enforced ALLOW policy matches is denied.
//   A dry-run policy (`istio.io/dry-run: "true"`, parsed with strconv.ParseBool) goes to the RBAC filter's shadow rules
//   only. So the default-deny and every ALLOW policy of a workload must share one switch: a namespace's default-deny
//   stays in dry-run while any of its services is.
// - Principals are "<trust domain>/ns/<namespace>/sa/<service account>"; the trust domain "cluster.local" stands for
//   the mesh's own trust domain and its aliases (pilot/pkg/security/trustdomain/bundle.go ReplaceTrustDomainAliases),
//   so the names below hold whatever meshConfig.trustDomain is.
// - Only traffic through a sidecar's inbound listener meets a policy: kubelet probes (rewritten to pilot-agent on
//   15020) and Prometheus scraping merged metrics on 15020 never do, and a rule on principals or namespaces never
//   matches a caller without a sidecar (it presents no identity).
import * as pulumi from "@pulumi/pulumi";
import type { AuthorizationConfig } from "../../config/security/authorization";
import { serviceDryRun } from "../../config/security/authorization";
import type { ServiceGraph } from "../../config";
import { DRY_RUN_ANNOTATION, DRY_RUN_SINCE_ANNOTATION } from "../../policy/contract";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { type IstioSpecs, istioObject, meshLabels } from "../shared";

export type AuthorizationPolicySpec = IstioSpecs["AuthorizationPolicy"];
type Rule = NonNullable<AuthorizationPolicySpec["rules"]>[number];

/** The trust domain principals are written with: Istio reads it as the mesh's own (see above). */
export const TRUST_DOMAIN = "cluster.local";

/** The mesh identity of pods running as `serviceAccount` in `namespace`. */
export function principal(namespace: string, serviceAccount: string): string {
  return `${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Name of a namespace's default-deny policy. */
export const DEFAULT_DENY = "default-deny";

/** A workload that fetches an in-mesh JWKS through its own Envoy (security.jwt with PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid). */
export interface JwksFetch {
  /** The graph service serving the JWKS (Keycloak). */
  readonly service: string;
  /** Path of the JWKS. */
  readonly path: string;
  /** Identity of the fetching proxy (the protected workload). */
  readonly principal: string;
}

export interface AuthorizationInput {
  readonly config: AuthorizationConfig;
  readonly graph: ServiceGraph;
  /** Namespaces enrolled in the mesh (config meshNamespaces): each gets a default-deny. */
  readonly meshNamespaces: readonly string[];
  /** The ingress gateway: the caller of every exposed service. */
  readonly gateway: { readonly namespace: string; readonly serviceAccount: string };
  /** The monitoring namespace (enrolled: Grafana and Kiali have sidecars), when the observability layer is on. */
  readonly monitoringNamespace?: string;
  /** Who fetches an in-mesh JWKS (derived from security.jwt). */
  readonly jwksFetches?: readonly JwksFetch[];
}

/** One AuthorizationPolicy to create. */
export interface PlannedPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly dryRun: boolean;
  readonly spec: AuthorizationPolicySpec;
}

/** Every AuthorizationPolicy the graph gives, namespace by namespace; empty when the section is off. */
export function authorizationPolicies(input: AuthorizationInput): PlannedPolicy[] {
  const { config, graph } = input;
  if (!config.enabled) return [];
  const enrolled = new Set(input.meshNamespaces);
  const gatewayPrincipal = principal(input.gateway.namespace, input.gateway.serviceAccount);
  const out: PlannedPolicy[] = [];

  for (const ns of [...input.meshNamespaces].sort()) {
    const own = Object.values(graph.services).filter((s) => s.namespace === ns);
    const dryRun = own.length > 0 ? own.some((s) => serviceDryRun(config, s.name)) : config.dryRun;
    out.push({ namespace: ns, name: DEFAULT_DENY, dryRun, spec: {} });

    for (const s of own) {
      const rules: Rule[] = [];
      const callerPrincipals = s.callers.services
        .map((c) => graph.services[c])
        .filter((c) => c !== undefined && enrolled.has(c.namespace))
        .map((c) => principal(c!.namespace, c!.serviceAccount));
      const callerNamespaces = s.callers.namespaces.filter((n) => enrolled.has(n));
      const from = [
        ...(callerPrincipals.length > 0 ? [{ source: { principals: [...new Set(callerPrincipals)].sort() } }] : []),
        ...(callerNamespaces.length > 0 ? [{ source: { namespaces: [...callerNamespaces].sort() } }] : []),
      ];
      const operations = config.services[s.name]?.operations;
      if (from.length > 0) {
        rules.push({
          from,
          ...(operations ? { to: operations.map((o) => ({ operation: { ...o } })) } : {}),
        });
      }
      if (s.callers.ingress) rules.push({ from: [{ source: { principals: [gatewayPrincipal] } }] });
      if (s.callers.monitoring && input.monitoringNamespace !== undefined)
        rules.push({ from: [{ source: { namespaces: [input.monitoringNamespace] } }] });
      const fetches = (input.jwksFetches ?? []).filter((f) => f.service === s.name);
      for (const path of [...new Set(fetches.map((f) => f.path))].sort()) {
        const principals = [...new Set(fetches.filter((f) => f.path === path).map((f) => f.principal))].sort();
        rules.push({ from: [{ source: { principals } }], to: [{ operation: { methods: ["GET"], paths: [path] } }] });
      }
      if (rules.length === 0) continue; // no caller: the default-deny alone applies
      out.push({
        namespace: ns,
        name: `${s.name}-allow`,
        dryRun: serviceDryRun(config, s.name),
        spec: { selector: { matchLabels: { ...s.podLabels } }, action: "ALLOW", rules },
      });
    }
  }

  // The monitoring namespace is enrolled too: Grafana and Kiali are reached through the ingress gateway and call
  // each other; Prometheus has no sidecar and scrapes on 15020, which no policy sees.
  const mon = input.monitoringNamespace;
  if (mon !== undefined && !enrolled.has(mon)) {
    out.push({ namespace: mon, name: DEFAULT_DENY, dryRun: config.dryRun, spec: {} });
    out.push({
      namespace: mon,
      name: "monitoring-allow",
      dryRun: config.dryRun,
      spec: {
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: [gatewayPrincipal] } }, { source: { namespaces: [mon] } }] }],
      },
    });
  }
  return out;
}

/** The annotations of a policy: Istio's dry-run switch and the day it started, or none when enforced. */
export function dryRunAnnotations(dryRun: boolean, since: string | undefined): Record<string, string> | undefined {
  if (!dryRun) return undefined;
  return { [DRY_RUN_ANNOTATION]: "true", ...(since ? { [DRY_RUN_SINCE_ANNOTATION]: since } : {}) };
}

export interface AuthorizationArgs extends AuthorizationInput {
  handles: {
    /** "After istiod": the AuthorizationPolicy CRD is served. */
    controlPlane: ControlPlaneHandle;
    /** What an object in an application namespace waits for. */
    mesh: MeshHandle;
    /** What an object in the monitoring namespace waits for. */
    monitoringReady?: pulumi.Resource[];
  };
}

/** The AuthorizationPolicies of the graph (see authorizationPolicies), each after istiod and its namespace. */
export class Authorization extends pulumi.ComponentResource {
  /** "<namespace>/<name>" of every policy. */
  readonly policies: string[];

  constructor(name: string, args: AuthorizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:Authorization", name, {}, opts);
    const planned = authorizationPolicies(args);
    const { controlPlane, mesh, monitoringReady } = args.handles;
    for (const p of planned) {
      const annotations = dryRunAnnotations(p.dryRun, args.config.dryRunSince);
      const nsReady =
        p.namespace === args.monitoringNamespace ? (monitoringReady ?? []) : mesh.namespaceReady(p.namespace);
      istioObject(
        "AuthorizationPolicy",
        `${name}-${p.namespace}-${p.name}`,
        {
          name: p.name,
          namespace: p.namespace,
          labels: meshLabels("security"),
          ...(annotations ? { annotations } : {}),
          spec: p.spec,
        },
        { parent: this, dependsOn: [...controlPlane.ready, ...nsReady] },
      );
    }
    this.policies = planned.map((p) => `${p.namespace}/${p.name}`);
    this.registerOutputs({ policies: this.policies });
  }
}
