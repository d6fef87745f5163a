import {
  authorizationDryRunAgePolicy,
  injectedNamespaceAuthorizationDefaultDeny,
  isDryRun,
} from "../../../policy/security/authorization-rollout";
import {
  type Case,
  gatewayDeployment,
  helmRelease,
  istio,
  namespace,
  runCases,
  runCoverage,
  runPreviewSafety,
} from "../fixtures";

const istiod = helmRelease("istiod", { values: { revision: "1-23-4" } });
const enrolled = (name: string) => namespace(name, { "istio.io/rev": "1-23-4" });
const ap = (ns: string, name: string, spec: unknown, annotations?: Record<string, string>) =>
  istio("AuthorizationPolicy", name, spec, {
    namespace: ns,
    resourceName: `${ns}-${name}`,
    ...(annotations ? { annotations } : {}),
  });
/** What the program writes as a namespace's default-deny (components/security/authorization.ts). */
const defaultDeny = (ns: string, annotations?: Record<string, string>) => ap(ns, "default-deny", {}, annotations);
const dryRunAge = authorizationDryRunAgePolicy(() => "2026-11-30");

const cases: Case[] = [
  {
    title: "rejects an injected namespace without a default-deny AuthorizationPolicy",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [istiod, enrolled("shop"), enrolled("api"), defaultDeny("api")],
    rejects:
      /Namespace shop has sidecar injection but no default-deny AuthorizationPolicy .*authorization\.enabled true/,
    count: 1,
  },
  {
    title: "accepts the default-deny the program writes, in dry-run too",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [istiod, enrolled("shop"), defaultDeny("shop", { "istio.io/dry-run": "true" })],
  },
  {
    title: "accepts one mesh-wide default-deny in the root namespace",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [istiod, enrolled("shop"), defaultDeny("istio-system")],
  },
  {
    title: "does not count an ALLOW with rules, or a rule-less one that selects only some pods",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [
      istiod,
      enrolled("shop"),
      ap("shop", "web-allow", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["shop"] } }] }] }),
      ap("shop", "web-none", { selector: { matchLabels: { app: "web" } } }),
    ],
    rejects: /Namespace shop has sidecar injection but no default-deny/,
    count: 1,
  },
  {
    title: "does not count a DENY without rules (it denies nothing)",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [istiod, enrolled("shop"), ap("shop", "deny-none", { action: "DENY" })],
    rejects: /Namespace shop has sidecar injection/,
    count: 1,
  },
  {
    title: "leaves the gateway namespace and namespaces without injection alone",
    policy: injectedNamespaceAuthorizationDefaultDeny,
    fixtures: [istiod, enrolled("istio-ingress"), gatewayDeployment("istio-ingress"), namespace("plain")],
  },
  {
    title: "rejects a policy in dry-run longer than the limit",
    policy: dryRunAge,
    fixtures: [defaultDeny("shop", { "istio.io/dry-run": "true", "security.aks-mesh.io/dry-run-since": "2026-10-01" })],
    rejects: /shop\/default-deny has been in dry-run for 60 days \(since 2026-10-01, limit 30\).*dryRun false/,
    count: 1,
  },
  {
    title: "takes the limit from its config",
    policy: dryRunAge,
    config: { maxDryRunDays: 90 },
    fixtures: [defaultDeny("shop", { "istio.io/dry-run": "true", "security.aks-mesh.io/dry-run-since": "2026-10-01" })],
  },
  {
    title: "rejects a dry-run policy without a start day",
    policy: dryRunAge,
    fixtures: [defaultDeny("shop", { "istio.io/dry-run": "True" })],
    rejects: /in dry-run without a start day .*dryRunSince/,
    count: 1,
  },
  {
    title: "accepts a recent dry-run and an enforced policy (an unparsable value enforces, as istiod reads it)",
    policy: dryRunAge,
    fixtures: [
      defaultDeny("shop", { "istio.io/dry-run": "true", "security.aks-mesh.io/dry-run-since": "2026-11-20" }),
      defaultDeny("api", { "istio.io/dry-run": "yes", "security.aks-mesh.io/dry-run-since": "2020-01-01" }),
      defaultDeny("web"),
    ],
  },
];

describe("authorization rollout policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([injectedNamespaceAuthorizationDefaultDeny, dryRunAge], cases);
});

test("reads istio.io/dry-run with Go's strconv.ParseBool, as istiod does", () => {
  for (const v of ["1", "t", "T", "TRUE", "true", "True"]) expect(isDryRun({ "istio.io/dry-run": v })).toBe(true);
  for (const v of ["0", "false", "yes", "on", ""]) expect(isDryRun({ "istio.io/dry-run": v })).toBe(false);
  expect(isDryRun({})).toBe(false);
});
