// The whole hop chain from production's Istio 1.23.4 to the target, as docs/upgrades.md walks it: the Istio hops of
// the hop plan (policy/upgrade.ts upgradePath, prod's Kubernetes 1.30 read), each in four config changes (canary
// beside stable, tags moved, canary promoted, old revision removed). At every step it asserts what the control plane
// and the namespaces send: the istiod releases (nothing removed before the step that removes it), base's version and
// defaultRevision, the tags' targets, the namespace labels, the revisions handed to other areas, and the traffic area's
// version-scoped EnvoyFilters (a gateway and a sidecar rate limit): one copy per installed version, so no proxy loses a
// limit mid-hop.
import { type Harness, mockRuntime } from "../../harness";
import { type MeshConfig, parseConfig } from "../../../config";
import type { IstioControlPlane } from "../../../components/istio";
import { upgradePath, revisionName } from "../../../policy/upgrade";
import { configProblems } from "../../support/config";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";
const NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch";
const ENVOY_FILTER = "kubernetes:networking.istio.io/v1alpha3:EnvoyFilter";
const TARGET = "1.30.3";

const path = upgradePath({ istio: "1.23.4", kubernetes: "1.30" }, TARGET, "2026-11-30");
if (!path.ok) throw new Error(path.reason);
const hops = path.steps.filter((s) => s.kind === "istio");

type Phase = "canary" | "moved" | "promoted" | "removed";
const PHASES: Phase[] = ["canary", "moved", "promoted", "removed"];

/** The istio section and namespaces of prod at one phase of the hop from -> to. */
function stackAt(from: string, to: string, phase: Phase) {
  const a = revisionName(from);
  const b = revisionName(to);
  const old = { version: from, revision: a };
  const next = { version: to, revision: b };
  const revisions = {
    canary: [
      { ...old, role: "stable" },
      { ...next, role: "canary" },
    ],
    moved: [
      { ...old, role: "stable" },
      { ...next, role: "canary" },
    ],
    promoted: [
      { ...old, role: "previous" },
      { ...next, role: "stable" },
    ],
    removed: [{ ...next, role: "stable" }],
  }[phase];
  const tags = phase === "canary" ? { "prod-stable": a, "prod-canary": b } : { "prod-stable": b, "prod-canary": b };
  const namespaces = [{ name: "web" }, phase === "canary" ? { name: "api", revision: "prod-canary" } : { name: "api" }];
  return { istio: { revisions, revisionTags: tags, injectionTag: "prod-stable" }, namespaces };
}

function config(stack: ReturnType<typeof stackAt>): MeshConfig {
  return parseConfig(
    {
      "aks-mesh:environment": "production",
      "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
      "aks-mesh:istio": JSON.stringify(stack.istio),
      "aks-mesh:meshNamespaces": JSON.stringify(stack.namespaces),
      "aks-mesh:ingressGateway": JSON.stringify({
        autoscaling: { minReplicas: 2 },
        podDisruptionBudget: { minAvailable: 1 },
      }),
      "aks-mesh:ingress": JSON.stringify({
        hosts: [
          { host: "api.example.com", tls: { credentialName: "api-tls" }, routes: [{ prefix: "/", service: "api" }] },
        ],
        tlsSecrets: { "api-tls": ["istio-ingress"] },
      }),
      "aks-mesh:services": JSON.stringify({ api: { namespace: "api", ports: [{ port: 8080, protocol: "http" }] } }),
      "aks-mesh:traffic": JSON.stringify({
        services: { api: { rateLimit: { maxTokens: 50, fillInterval: "1s" } } },
        gatewayRateLimits: [{ host: "api.example.com", maxTokens: 100, fillInterval: "1s" }],
      }),
    },
    { project: "aks-mesh", stack: "prod" },
  );
}

const steps = hops.flatMap((hop) =>
  PHASES.map((phase) => ({ from: hop.from, to: hop.to, phase, id: `${revisionName(hop.to)}-${phase}` })),
);
let h: Harness;
const planes = new Map<string, IstioControlPlane>();

beforeAll(async () => {
  h = await mockRuntime();
  const k8s = await import("@pulumi/kubernetes");
  const { IstioControlPlane } = await import("../../../components/istio");
  const { MeshNamespaces } = await import("../../../components/mesh/mesh-namespaces");
  const { Traffic } = await import("../../../components/traffic");
  const { testCluster, testGateway } = await import("../../support/handles");
  const cluster = { provider: new k8s.Provider("k8s", {}) };
  for (const s of steps) {
    const c = config(stackAt(s.from, s.to, s.phase));
    const cp = new IstioControlPlane(s.id, { config: c, handles: { cluster } });
    planes.set(s.id, cp);
    new MeshNamespaces(
      `${s.id}-ns`,
      { revision: cp.injectionRevision, namespaces: c.meshNamespaces },
      { providers: [cluster.provider] },
    );
    new Traffic(`${s.id}-traffic`, {
      config: c,
      handles: { cluster: testCluster(), controlPlane: cp, mesh: { namespaceReady: () => [] }, gateway: testGateway() },
    });
  }
  await h.settle();
});

const under = (id: string, type: string) => h.all(type).filter((r) => r.name.startsWith(`${id}-`));
const values = (r: { inputs: Record<string, unknown> }) => r.inputs.values as Record<string, unknown>;

test("walks every Istio hop of the plan to the target, each within two minors", () => {
  expect(hops.map((s) => `${s.from}->${s.to}`)).toEqual([
    "1.23.4->1.25.5",
    "1.25.5->1.27.9",
    "1.27.9->1.28.10",
    "1.28.10->1.30.3",
  ]);
  expect(hops.every((s) => s.minors <= 2)).toBe(true);
});

describe.each(steps)("hop $from -> $to, $phase", ({ from, to, phase, id }) => {
  const a = revisionName(from);
  const b = revisionName(to);
  const installed = phase === "removed" ? [b] : [a, b];
  const stable = phase === "canary" || phase === "moved" ? a : b;

  test("installs exactly the revisions of the step: the old one stays until the step that removes it", () => {
    const istiods = under(id, RELEASE).filter((r) => r.inputs.chart === "istiod");
    expect(istiods.map((r) => r.inputs.name).sort()).toEqual(installed.map((r) => `istiod-${r}`).sort());
    expect(planes.get(id)?.revisions.map((r) => r.revision)).toEqual(installed);
  });

  test("moves base (the CRDs) to the new version first: every istiod waits for it, and it never goes back", () => {
    const [base] = under(id, RELEASE).filter((r) => r.inputs.chart === "base");
    expect(base?.inputs.version).toBe(to);
    for (const istiod of under(id, RELEASE).filter((r) => r.inputs.chart === "istiod")) {
      expect(istiod.dependsOn).toContain(base?.urn);
    }
    // 1.24+ renders CRDs as templates by default; the deprecated flag is only sent to a 1.23 base.
    expect(values(base as never)).not.toHaveProperty("base");
  });

  test("points base.defaultRevision at the stable revision", () => {
    const [base] = under(id, RELEASE).filter((r) => r.inputs.chart === "base");
    expect(values(base as never).defaultRevision).toBe(stable);
  });

  test("sends each tag to the istiod of the revision it names", () => {
    const targets = Object.fromEntries(
      under(id, WEBHOOK).map((w) => {
        const meta = w.inputs.metadata as { labels: Record<string, string> };
        const hooks = w.inputs.webhooks as { clientConfig: { service: { name: string } } }[];
        return [meta.labels["istio.io/tag"], [meta.labels["istio.io/rev"], hooks[0]?.clientConfig.service.name]];
      }),
    );
    const stableTarget = phase === "canary" ? a : b;
    expect(targets).toEqual({
      "prod-stable": [stableTarget, `istiod-${stableTarget}`],
      "prod-canary": [b, `istiod-${b}`],
    });
  });

  test("copies every version-scoped EnvoyFilter once per installed version, each matching only its own proxies", () => {
    const versions = phase === "removed" ? [to] : [from, to];
    const filters = under(`${id}-traffic`, ENVOY_FILTER).map((f) => {
      const spec = f.inputs.spec as { configPatches: { match: { proxy: { proxyVersion: string } } }[] };
      const regexes = [...new Set(spec.configPatches.map((p) => p.match.proxy.proxyVersion))];
      expect(regexes).toHaveLength(1);
      return new RegExp(regexes[0] as string);
    });
    // A gateway limit and a sidecar limit, each copied per version.
    expect(filters).toHaveLength(2 * versions.length);
    for (const version of versions) {
      // Each proxy version is matched by exactly one copy of each filter, never by two (a doubled filter) or none.
      expect(filters.filter((r) => r.test(version))).toHaveLength(2);
    }
    // A proxy of a version no longer installed keeps no copy.
    if (phase === "removed") expect(filters.some((r) => r.test(from))).toBe(false);
  });

  test("labels the namespaces with tags, never a revision name, so moving them is a tag change", () => {
    const labels = Object.fromEntries(
      under(`${id}-ns`, NAMESPACE_PATCH).map((n) => {
        const meta = n.inputs.metadata as { name: string; labels: Record<string, string> };
        return [meta.name, meta.labels["istio.io/rev"]];
      }),
    );
    expect(labels).toEqual({ web: "prod-stable", api: phase === "canary" ? "prod-canary" : "prod-stable" });
  });
});

test("refuses to remove a revision a tag still points at", () => {
  const stack = stackAt("1.23.4", "1.25.5", "removed");
  stack.istio.revisionTags = { "prod-stable": "1-23-4", "prod-canary": "1-25-5" };
  expect(configProblems(() => config(stack))).toEqual([
    expect.stringContaining(
      'aks-mesh:istio.revisionTags.prod-stable: "prod-stable" points at "1-23-4", which is not an installed revision',
    ),
  ]);
});

test("refuses to remove a revision a namespace still points at", () => {
  const stack = stackAt("1.23.4", "1.25.5", "removed");
  stack.namespaces = [{ name: "web" }, { name: "api", revision: "1-23-4" }];
  expect(configProblems(() => config(stack))).toEqual([
    expect.stringContaining(
      'aks-mesh:meshNamespaces[1].revision: "1-23-4" is neither an installed revision nor a revision tag',
    ),
  ]);
});

test("refuses a hop of three minors in one canary", () => {
  const stack = stackAt("1.23.4", "1.26.8", "canary");
  expect(configProblems(() => config(stack))).toEqual([
    expect.stringContaining("the revisions span 3 minors (1.23.4, 1.26.8): a canary upgrade jumps at most 2 minors"),
  ]);
});
