// The authorization rollout (README: Security rollout): every injected namespace gets a default-deny
// AuthorizationPolicy, and a policy observed in dry-run does not stay there for good.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { isoDate, type IsoDate } from "../compatibility";
import { DRY_RUN_ANNOTATION, DRY_RUN_SINCE_ANNOTATION } from "../contract";
import {
  at,
  configOf,
  fullName,
  istioObjects,
  type Json,
  kubeObjects,
  list,
  meshRootNamespace,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";
import { declaredNamespaces, gatewayNamespaces, installedInjectors, podInjected } from "../lib/injection";

/**
 * Whether an AuthorizationPolicy is in dry-run, read as istiod reads it: strconv.ParseBool of the istio.io/dry-run
 * annotation, a value it cannot parse counting as enforced (pilot/pkg/security/authz/builder/builder.go isDryRun, 1.23.4).
 */
export function isDryRun(annotations: Record<string, string>): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(annotations[DRY_RUN_ANNOTATION] ?? "");
}

/**
 * Whether a spec denies every request to its whole namespace: action ALLOW (or unset), no rules, no selector and no
 * targetRef (an ALLOW policy without rules matches nothing: builder.go emits a never-matching policy for it).
 */
function namespaceDefaultDeny(spec: Json | undefined): boolean | Unknown {
  const action = str(at(spec, "action"));
  const rules = list(at(spec, "rules"));
  const selector = stringMap(at(spec, "selector", "matchLabels"));
  if (action === UNKNOWN || rules === UNKNOWN || selector === UNKNOWN) return UNKNOWN;
  const targeted = at(spec, "targetRef") !== undefined || at(spec, "targetRefs") !== undefined;
  return (
    (action === undefined || action === "ALLOW") &&
    rules.length === 0 &&
    Object.keys(selector).length === 0 &&
    !targeted
  );
}

export const injectedNamespaceAuthorizationDefaultDeny: StackValidationPolicy & Why = {
  name: "injected-namespace-authorization-default-deny",
  description:
    "Every namespace with sidecar injection (gateway namespaces aside) has its own default-deny AuthorizationPolicy " +
    "(ALLOW, no rules, no selector; or one in the root namespace without a selector), so a workload answers only the " +
    "callers an ALLOW policy names; one in dry-run counts, authorization-dry-run-age watches it (Istio security best " +
    "practices, default-deny authorization; AuthorizationPolicy reference).",
  enforcementLevel: "mandatory",
  why: "without it every mesh workload answers any caller until someone writes a policy for it",
  validateStack: (args, report) => {
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const covered = new Set<string>();
    for (const ap of istioObjects(objects, "AuthorizationPolicy")) {
      const deny = namespaceDefaultDeny(ap.spec);
      if (ap.namespace === UNKNOWN || deny === UNKNOWN) return;
      if (deny) covered.add(ap.namespace);
    }
    const gateways = gatewayNamespaces(args.resources, objects);
    for (const [name, ns] of namespaces) {
      if (gateways.has(name) || covered.has(name) || covered.has(root)) continue;
      if (!podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} })) continue;
      report(
        `Namespace ${name} has sidecar injection but no default-deny AuthorizationPolicy (spec {}): set ` +
          "aks-mesh:security.authorization.enabled true, which writes it with the ALLOW policies the service graph " +
          "declares (start with dryRun true).",
        ns.object.urn,
      );
    }
  },
};

interface AgeConfig {
  /** Days a policy may stay in dry-run. */
  maxDryRunDays: number;
}

/** Whole days from `from` to `to` (ISO days). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The policy with the day it reads as today (tests pass a fixed one). */
export function authorizationDryRunAgePolicy(today: () => IsoDate): StackValidationPolicy & Why {
  return {
    name: "authorization-dry-run-age",
    description:
      "An AuthorizationPolicy in dry-run (istio.io/dry-run) is enforced or removed within a configured number of " +
      "days after its dry-run started (annotation security.aks-mesh.io/dry-run-since, from config " +
      "security.authorization.dryRunSince): a dry-run policy protects nothing (Istio authorization dry-run task).",
    enforcementLevel: "advisory",
    why: "a policy left in dry-run protects nothing while looking like it does",
    configSchema: {
      properties: {
        maxDryRunDays: {
          type: "integer",
          minimum: 1,
          default: 30,
          description: "Days an AuthorizationPolicy may stay in dry-run.",
        },
      },
    },
    validateStack: (args, report) => {
      const { maxDryRunDays } = configOf<AgeConfig>(args, { maxDryRunDays: 30 });
      const day = today();
      for (const ap of istioObjects(kubeObjects(args.resources), "AuthorizationPolicy")) {
        if (ap.annotations === UNKNOWN || !isDryRun(ap.annotations)) continue;
        const since = ap.annotations[DRY_RUN_SINCE_ANNOTATION];
        if (since === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(since)) {
          report(
            `AuthorizationPolicy ${fullName(ap)} is in dry-run without a start day (annotation ` +
              `${DRY_RUN_SINCE_ANNOTATION}): set aks-mesh:security.authorization.dryRunSince to the day dry-run began.`,
            ap.urn,
          );
          continue;
        }
        const days = daysBetween(since, day);
        if (days <= maxDryRunDays) continue;
        report(
          `AuthorizationPolicy ${fullName(ap)} has been in dry-run for ${days} days (since ${since}, limit ` +
            `${maxDryRunDays}): read its dry-run results (docs/security.md), then enforce it with ` +
            "aks-mesh:security.authorization.dryRun false (or the service's own dryRun).",
          ap.urn,
        );
      }
    },
  };
}

export const authorizationDryRunAge = authorizationDryRunAgePolicy(() => isoDate(new Date()));
