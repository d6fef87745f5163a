// Authorization from the service graph: who can call whom once the generated AuthorizationPolicies apply, read the
// way Istio evaluates ALLOW policies (a request passes when an ALLOW policy of its workload has a rule whose `from`
// matches the caller; a workload with only the default-deny passes nothing), asserted as a table; the dry-run switch
// shared by a workload's policies; and the objects the component registers.
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../../config";
import {
  authorizationPolicies,
  type AuthorizationPolicySpec,
  type PlannedPolicy,
} from "../../../components/security/authorization";
import { jwksFetches } from "../../../components/security/jwt";
import type { Harness } from "../../harness";
import { mockRuntime } from "../../harness";
import { configProblems } from "../../support/config";

const base: Record<string, string> = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingressGateway": JSON.stringify({ namespace: "istio-ingress" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:observability": JSON.stringify({ host: "monitoring.example.com" }),
  "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T000/B000/XXXX",
  // web (front) calls orders (back); billing (front) calls orders as its own ServiceAccount; any pod of back calls
  // ratings; legacy (outside the mesh) calls ratings; keycloak serves the JWKS orders checks tokens against.
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    billing: { namespace: "front", serviceAccount: "billing-sa", ports: [{ port: 80, protocol: "http" }] },
    orders: {
      namespace: "back",
      podLabels: { "app.kubernetes.io/name": "orders" },
      ports: [{ port: 8080, protocol: "http" }],
      callers: { services: ["web", "billing"], monitoring: false },
    },
    ratings: {
      namespace: "back",
      ports: [{ port: 9080, protocol: "http" }],
      callers: { namespaces: ["back", "legacy"] },
    },
    keycloak: { namespace: "keycloak", ports: [{ port: 8080, protocol: "http" }], callers: { monitoring: false } },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back" }, { name: "keycloak" }]),
  "aks-mesh:outsideMeshNamespaces": JSON.stringify([{ name: "legacy", reason: "batch jobs, no sidecars yet" }]),
};

const JWT = {
  providers: {
    shop: {
      issuer: "https://login.example.com/realms/shop",
      jwksUri: "http://keycloak.keycloak.svc.cluster.local:8080/realms/shop/protocol/openid-connect/certs",
    },
  },
  rules: [{ provider: "shop", service: "orders", paths: ["/orders/*"] }],
};

function configWith(security: unknown, extra: Record<string, string> = {}) {
  return parseConfig(
    { ...base, "aks-mesh:security": JSON.stringify(security), ...extra },
    { project: "aks-mesh", stack: "test" },
  );
}

function planned(security: unknown): PlannedPolicy[] {
  const config = configWith(security);
  const gateway = { namespace: "istio-ingress", serviceAccount: "istio-ingressgateway", selector: { istio: "gw" } };
  return authorizationPolicies({
    config: config.security.authorization,
    graph: config.mesh.graph,
    meshNamespaces: config.meshNamespaces.map((n) => n.name),
    gateway,
    monitoringNamespace: "monitoring",
    jwksFetches: jwksFetches({ config: config.security.jwt, graph: config.mesh.graph, gateway }),
  });
}

/** A caller as a sidecar sees it: its mesh identity and namespace; undefined identity for a pod without a sidecar. */
interface Caller {
  principal?: string;
  namespace: string;
}

/** Whether one `from.source` matches a caller (principals OR'ed, namespaces OR'ed, fields AND'ed). */
function sourceMatches(source: Record<string, unknown>, c: Caller): boolean {
  const principals = source.principals as string[] | undefined;
  const namespaces = source.namespaces as string[] | undefined;
  if (principals && (c.principal === undefined || !principals.includes(c.principal))) return false;
  if (namespaces && (c.principal === undefined || !namespaces.includes(c.namespace))) return false;
  return true;
}

/** Whether the enforced ALLOW policies of `namespace`'s pods labelled `labels` admit a GET of `path` from `c`. */
function admits(
  policies: PlannedPolicy[],
  target: { namespace: string; labels: Record<string, string> },
  c: Caller,
  path = "/",
): boolean {
  const applying = policies.filter((p) => {
    if (p.namespace !== target.namespace) return false;
    const sel = (p.spec.selector?.matchLabels ?? {}) as Record<string, string>;
    return Object.entries(sel).every(([k, v]) => target.labels[k] === v);
  });
  return applying.some((p) =>
    (p.spec.rules ?? []).some((rule) => {
      const fromOk = (rule.from ?? []).some((f) => sourceMatches(f.source ?? {}, c));
      const toOk =
        rule.to === undefined ||
        rule.to.some((t) => {
          const paths = t.operation?.paths;
          const methods = t.operation?.methods;
          return (
            (!paths || paths.some((p) => (p.endsWith("*") ? path.startsWith(p.slice(0, -1)) : p === path))) &&
            (!methods || methods.includes("GET"))
          );
        });
      return fromOk && toOk;
    }),
  );
}

const CALLERS: Record<string, Caller> = {
  gateway: { principal: "cluster.local/ns/istio-ingress/sa/istio-ingressgateway", namespace: "istio-ingress" },
  web: { principal: "cluster.local/ns/front/sa/web", namespace: "front" },
  billing: { principal: "cluster.local/ns/front/sa/billing-sa", namespace: "front" },
  orders: { principal: "cluster.local/ns/back/sa/orders", namespace: "back" },
  grafana: { principal: "cluster.local/ns/monitoring/sa/grafana", namespace: "monitoring" },
  legacy: { namespace: "legacy" },
  prometheus: { namespace: "monitoring" },
};
const TARGETS: Record<string, { namespace: string; labels: Record<string, string> }> = {
  web: { namespace: "front", labels: { app: "web" } },
  orders: { namespace: "back", labels: { "app.kubernetes.io/name": "orders" } },
  ratings: { namespace: "back", labels: { app: "ratings" } },
  keycloak: { namespace: "keycloak", labels: { app: "keycloak" } },
  "an undeclared pod of back": { namespace: "back", labels: { app: "other" } },
};

describe("who can call whom (what each policy of the sample graph admits, enforced or as its dry-run reports)", () => {
  // ratings stays in dry-run: enforcing it is refused while legacy, outside the mesh, calls it (tested below).
  const policies = planned({
    authorization: { enabled: true, dryRun: false, services: { ratings: { dryRun: true } } },
    jwt: JWT,
  });
  // caller → target → admitted (GET /)
  const TABLE: [string, string, boolean][] = [
    ["gateway", "web", true], // web is routed by ingress.hosts
    ["gateway", "orders", false], // orders is not exposed
    ["web", "orders", true], // orders.callers.services
    ["billing", "orders", true], // as its own ServiceAccount billing-sa
    ["web", "web", false], // nobody declared web as a caller of itself
    ["orders", "ratings", true], // ratings.callers.namespaces: back
    ["web", "ratings", false],
    ["legacy", "ratings", false], // declared, but without a sidecar no namespace rule matches it
    ["grafana", "web", true], // monitoring: true (default): the monitoring namespace's meshed tools
    ["grafana", "orders", false], // orders sets monitoring: false
    ["prometheus", "web", false], // no sidecar: it scrapes 15020, which no policy sees
    ["gateway", "an undeclared pod of back", false], // the namespace's default-deny alone
    ["orders", "an undeclared pod of back", false],
    ["web", "keycloak", false],
  ];
  test.each(TABLE)("%s → %s: %p", (caller, target, expected) => {
    expect(admits(policies, TARGETS[target]!, CALLERS[caller]!)).toBe(expected);
  });

  test("the JWKS fetch of orders' proxy reaches Keycloak on the JWKS path only", () => {
    const jwks = "/realms/shop/protocol/openid-connect/certs";
    expect(admits(policies, TARGETS.keycloak!, CALLERS.orders!, jwks)).toBe(true);
    expect(admits(policies, TARGETS.keycloak!, CALLERS.orders!, "/admin/")).toBe(false);
  });

  test("operations narrow what caller services may do, not the gateway", () => {
    const narrowed = planned({
      authorization: {
        enabled: true,
        services: { orders: { operations: [{ paths: ["/orders/*"] }] }, web: { operations: [{ methods: ["GET"] }] } },
      },
    });
    const orders = narrowed.find((p) => p.name === "orders-allow")!;
    expect(admits(narrowed, TARGETS.orders!, CALLERS.web!, "/orders/1")).toBe(true);
    expect(admits(narrowed, TARGETS.orders!, CALLERS.web!, "/admin")).toBe(false);
    expect(orders.spec.rules?.[0]?.to).toEqual([{ operation: { paths: ["/orders/*"] } }]);
    // web's only callers are the gateway and monitoring, which operations do not narrow.
    const web = narrowed.find((p) => p.name === "web-allow")!;
    expect(web.spec.rules?.every((r) => r.to === undefined)).toBe(true);
  });

  test("every application namespace and the monitoring namespace get a default-deny with an empty spec", () => {
    const denies = policies.filter((p) => p.name === "default-deny");
    expect(denies.map((p) => p.namespace).sort()).toEqual(["back", "front", "keycloak", "monitoring"]);
    for (const d of denies) expect(d.spec).toEqual({});
  });
});

describe("the dry-run switch", () => {
  test("dryRun true (the default) puts every generated policy in dry-run", () => {
    const all = planned({ authorization: { enabled: true } });
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((p) => p.dryRun)).toBe(true);
  });

  test("a service enforced alone keeps its namespace's default-deny in dry-run while a neighbour is", () => {
    const all = planned({ authorization: { enabled: true, services: { orders: { dryRun: false } } } });
    const at = (ns: string, name: string) => all.find((p) => p.namespace === ns && p.name === name)!;
    expect(at("back", "orders-allow").dryRun).toBe(false);
    expect(at("back", "ratings-allow").dryRun).toBe(true);
    // Enforcing back's default-deny would deny everything to ratings, whose ALLOW policy is only observed.
    expect(at("back", "default-deny").dryRun).toBe(true);
  });

  test("a namespace whose services are all enforced enforces its default-deny", () => {
    const all = planned({
      authorization: { enabled: true, services: { web: { dryRun: false }, billing: { dryRun: false } } },
    });
    expect(all.find((p) => p.namespace === "front" && p.name === "default-deny")!.dryRun).toBe(false);
  });

  test("enforcing a service called from outside the mesh is refused, naming the keys", () => {
    const problems = configProblems(() =>
      configWith({ authorization: { enabled: true, services: { ratings: { dryRun: false } } } }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^aks-mesh:services\.ratings\.callers: namespace "legacy" runs without sidecars.*aks-mesh:security\.authorization\.services\.ratings\.dryRun/,
      ),
    ]);
  });

  test("a switch for a service the graph does not declare is refused with the closest name", () => {
    const problems = configProblems(() =>
      configWith({ authorization: { enabled: true, services: { order: { dryRun: false } } } }),
    );
    expect(problems).toEqual([
      expect.stringContaining('aks-mesh:security.authorization.services.order: "order" is not a service'),
    ]);
    expect(problems[0]).toContain('did you mean "orders"');
  });
});

describe("the Authorization component", () => {
  const AP = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  let h: Harness;
  beforeAll(async () => {
    h = await mockRuntime();
    const { Security } = await import("../../../components/security");
    const { Mesh } = await import("../../../components/mesh");
    const { testCluster, testControlPlane, testGateway } = await import("../../support/handles");
    const ready = [new k8s.core.v1.ConfigMap("istiod-ready", {})];
    const monitoringNs = new k8s.core.v1.ConfigMap("monitoring-ns", {});
    const config = configWith({
      authorization: { enabled: true, dryRunSince: "2026-11-02", services: { web: { dryRun: false } } },
    });
    const cluster = testCluster();
    const controlPlane = testControlPlane({ ready });
    const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
    new Security("security", {
      config,
      handles: {
        cluster,
        controlPlane,
        mesh,
        gateway: testGateway(),
        observability: { namespace: "monitoring", namespaceReady: [monitoringNs] },
      },
    });
    await h.settle();
  });

  const metadata = (name: string) => h.one(AP, name).inputs.metadata as Record<string, unknown>;

  test("annotates a dry-run policy with istio.io/dry-run and the day it started", () => {
    expect(metadata("security-authorization-back-orders-allow").annotations).toEqual({
      "istio.io/dry-run": "true",
      "security.aks-mesh.io/dry-run-since": "2026-11-02",
    });
  });

  test("an enforced policy carries no dry-run annotation", () => {
    expect(metadata("security-authorization-front-web-allow").annotations).toBeUndefined();
  });

  test("applies after istiod and the namespace, the monitoring namespace's own included", () => {
    const deps = (name: string) => h.one(AP, name).dependsOn;
    expect(deps("security-authorization-back-default-deny")).toEqual(
      expect.arrayContaining([expect.stringContaining("istiod-ready")]),
    );
    expect(deps("security-authorization-monitoring-default-deny")).toEqual(
      expect.arrayContaining([expect.stringContaining("monitoring-ns"), expect.stringContaining("istiod-ready")]),
    );
  });

  test("selects each service's pods by its labels", () => {
    const spec = h.one(AP, "security-authorization-back-orders-allow").inputs.spec as AuthorizationPolicySpec;
    expect(spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "orders" } });
  });
});
