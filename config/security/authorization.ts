// Section `aks-mesh:security.authorization`: a default-deny AuthorizationPolicy per application namespace and, per
// service of the graph, one ALLOW policy naming its declared callers (aks-mesh:services.<name>.callers) by their mesh
// identities. Observe first: every generated policy carries Istio's `istio.io/dry-run` annotation until `dryRun` is
// false, stack-wide or per service (README: Security rollout; docs/security.md).
import { z } from "zod";
import type { CheckContext } from "../area";
import { dnsLabel } from "../primitives";
import type { SecurityInput } from "./index";
import { unknownService } from "../mesh";

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/**
 * A path as an AuthorizationPolicy operation takes it: exact, a prefix ending in "*", a suffix starting with "*", or
 * "*" (Istio AuthorizationPolicy reference, Operation.paths).
 */
export const policyPath = z
  .string()
  .regex(
    /^(\*|\/[^*?#\s]*\*?|\*[^*?#\s]+)$/,
    'must be an exact path ("/health"), a prefix ending in "*" ("/api/*"), a suffix starting with "*" or "*"',
  );

export const operation = z
  .strictObject({
    methods: z.array(z.enum(HTTP_METHODS)).min(1).optional().describe("HTTP methods allowed (default: any)."),
    paths: z.array(policyPath).min(1).optional().describe("Paths allowed (default: any)."),
  })
  .refine((o) => o.methods !== undefined || o.paths !== undefined, "must name methods, paths or both");

/** An ISO day, "2026-11-30". */
const isoDay = z.iso.date({ message: 'must be a date such as "2026-11-30"' });

export const authorizationSection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "A default-deny AuthorizationPolicy in every application namespace and the monitoring namespace, and one ALLOW " +
          "policy per service for the callers the service graph declares (rollback: set false).",
      ),
    dryRun: z
      .boolean()
      .default(true)
      .describe(
        "Put every generated policy in Istio's dry-run mode (annotation istio.io/dry-run): proxies evaluate and report " +
          "it (envoy_http_..._rbac{authz_dry_run_result}) but do not enforce it. false enforces (one key; back: true).",
      ),
    dryRunSince: isoDay
      .optional()
      .describe(
        "The day dry-run started, written on each dry-run policy (annotation security.aks-mesh.io/dry-run-since): the " +
          "pack warns in production when a policy stays in dry-run longer than its limit.",
      ),
    services: z
      .record(
        dnsLabel,
        z.strictObject({
          dryRun: z
            .boolean()
            .optional()
            .describe(
              "This service's own switch (default: the stack-wide dryRun). It covers every ALLOW policy of its " +
                "workload: an enforced ALLOW policy denies everything no ALLOW policy names.",
            ),
          operations: z
            .array(operation)
            .min(1)
            .optional()
            .describe(
              "What its caller services and namespaces may do (methods, paths); default: anything. The ingress " +
                "gateway and monitoring callers are not narrowed (the gateway's routes already are).",
            ),
        }),
      )
      .default({})
      .describe("Per service of aks-mesh:services: its dry-run switch and the operations its callers may use."),
  })
  .prefault({})
  .describe(
    "Authorization from the service graph: default-deny per namespace, ALLOW per service from its callers (README: " +
      "Security rollout).",
  );

export type AuthorizationSection = z.output<typeof authorizationSection>;
export type Operation = z.output<typeof operation>;

/** The resolved section: the parsed values (the component derives the policies from it and the graph). */
export type AuthorizationConfig = AuthorizationSection;

/** Whether the policies of a service's workload run in dry-run. */
export function serviceDryRun(auth: AuthorizationSection, service: string): boolean {
  return auth.services[service]?.dryRun ?? auth.dryRun;
}

/**
 * Configured services exist; an enforced service has no caller without a sidecar: a rule on principals or namespaces
 * never matches a plaintext caller (it has no identity), so enforcing would cut it off.
 */
export function authorizationChecks(root: SecurityInput, { key }: CheckContext): string[] {
  const auth = root.security.authorization;
  if (!auth.enabled) return [];
  const problems: string[] = [];
  const names = Object.keys(root.services);
  for (const name of Object.keys(auth.services)) {
    if (!names.includes(name))
      problems.push(`${key(`security.authorization.services.${name}`)}: ${unknownService(name, names, key)}`);
  }
  const enrolled = new Set(root.meshNamespaces.map((n) => n.name));
  for (const [name, s] of Object.entries(root.services)) {
    if (!enrolled.has(s.namespace) || serviceDryRun(auth, name)) continue;
    const unmeshed = [
      ...s.callers.services
        .filter((c) => root.services[c] !== undefined && !enrolled.has(root.services[c].namespace))
        .map((c) => `service "${c}"`),
      ...s.callers.namespaces.filter((ns) => !enrolled.has(ns)).map((ns) => `namespace "${ns}"`),
    ];
    if (unmeshed.length === 0) continue;
    problems.push(
      `${key(`services.${name}.callers`)}: ${unmeshed.join(", ")} ${unmeshed.length > 1 ? "run" : "runs"} without ` +
        `sidecars, and an enforced AuthorizationPolicy never matches a caller without a mesh identity: keep ` +
        `${key(`security.authorization.services.${name}.dryRun`)} true until ${unmeshed.length > 1 ? "they join" : "it joins"} ` +
        `the mesh (${key("meshNamespaces")}), or remove ${unmeshed.length > 1 ? "them" : "it"} from the callers.`,
    );
  }
  return problems;
}
