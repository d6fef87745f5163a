// The NetworkPolicies of a sample graph, as a table: which pods each one selects, who may connect and on which ports.
import { networkPolicyObjects, type NetworkPolicyObject } from "../../../components/security/network-policy-specs";
import { parseConfig } from "../../../config";

const raw = (extra: Record<string, unknown> = {}) => ({
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:services": JSON.stringify({
    // web listens on 8080 behind Service port 80: the pod's port is what a NetworkPolicy sees.
    web: { namespace: "front", ports: [{ port: 80, targetPort: 8080, protocol: "http" }] },
    api: {
      namespace: "back",
      ports: [{ port: 8080, protocol: "http" }],
      callers: { services: ["web", "worker"], namespaces: ["reports"] },
      external: [{ host: "pay.example.com" }],
    },
    // pods labelled otherwise than app=<name>: selected by its declared podLabels
    worker: {
      namespace: "back",
      ports: [{ port: 9000, protocol: "grpc" }],
      podLabels: { "app.kubernetes.io/name": "worker-v2" },
      callers: { namespaces: ["back"] },
    },
    orphan: { namespace: "back", ports: [{ port: 7000, protocol: "tcp" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back" }]),
  "aks-mesh:outsideMeshNamespaces": JSON.stringify([{ name: "reports", reason: "batch jobs without sidecars" }]),
  "aks-mesh:observability": JSON.stringify({ host: "mon.example.com" }),
  "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0/B0/X",
  ...extra,
});

function objects(section: Record<string, unknown> = {}): NetworkPolicyObject[] {
  const config = parseConfig(
    raw({ "aks-mesh:security": JSON.stringify({ networkPolicies: { enabled: true, ...section } }) }),
    {
      project: "aks-mesh",
      stack: "test",
    },
  );
  const np = config.security.networkPolicies;
  return networkPolicyObjects(config.mesh.graph, {
    meshNamespaces: config.meshNamespaces.map((n) => n.name),
    gateway: { namespace: "istio-ingress", selector: { istio: "ingressgateway" } },
    controlPlaneNamespace: "istio-system",
    egress: np.egress,
    controlPlane: np.controlPlane,
  });
}

/** One line per rule: "<ns>/<name> | pods | from | ports", selectors written as label=value. */
function table(list: NetworkPolicyObject[]): string[] {
  const sel = (s: unknown) => {
    const labels = (s as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
    const parts = Object.entries(labels).map(([k, v]) => `${k === "kubernetes.io/metadata.name" ? "ns" : k}=${v}`);
    return parts.length > 0 ? parts.join(",") : "*";
  };
  const peer = (p: Record<string, unknown>) =>
    [
      p.namespaceSelector !== undefined ? `ns(${sel(p.namespaceSelector)})` : "",
      p.podSelector !== undefined ? `pods(${sel(p.podSelector)})` : "",
      p.ipBlock !== undefined ? `ip(${(p.ipBlock as { cidr: string }).cidr})` : "",
    ]
      .filter(Boolean)
      .join("+");
  const ports = (ps: unknown) =>
    ((ps as { protocol: string; port: number }[] | undefined) ?? []).map((p) => `${p.protocol}/${p.port}`).join(",") ||
    "all";
  return list.flatMap((o) => {
    const spec = o.spec as unknown as Record<string, unknown>;
    const head = `${o.namespace}/${o.name} | ${sel(spec.podSelector)} | ${(spec.policyTypes as string[]).join(",")}`;
    const rules = [
      ...((spec.ingress as Record<string, unknown>[] | undefined) ?? []).map(
        (r) =>
          `${head} | from ${((r.from as Record<string, unknown>[] | undefined) ?? []).map(peer).join(" ") || "anywhere"} | ${ports(r.ports)}`,
      ),
      ...((spec.egress as Record<string, unknown>[] | undefined) ?? []).map(
        (r) =>
          `${head} | to ${((r.to as Record<string, unknown>[] | undefined) ?? []).map(peer).join(" ")} | ${ports(r.ports)}`,
      ),
    ];
    return rules.length > 0 ? rules : [`${head} | deny`];
  });
}

test("ingress: a default-deny per mesh namespace, then exactly the callers the graph declares, on the pods' ports", () => {
  expect(table(objects())).toEqual([
    "front/default-deny-ingress | * | Ingress | deny",
    "front/allow-istio-telemetry | * | Ingress | from ns(ns=monitoring) | TCP/15020,TCP/15090",
    // exposed by a route: the gateway's pods, on the container port 8080 (not the Service's 80, not Envoy's 15006)
    "front/allow-web | app=web | Ingress | from ns(ns=istio-ingress)+pods(istio=ingressgateway) | TCP/8080",
    "back/default-deny-ingress | * | Ingress | deny",
    "back/allow-istio-telemetry | * | Ingress | from ns(ns=monitoring) | TCP/15020,TCP/15090",
    // a caller service in another namespace, one in the same namespace, a namespace outside the mesh
    "back/allow-api | app=api | Ingress | from ns(ns=front)+pods(app=web) pods(app.kubernetes.io/name=worker-v2) ns(ns=reports) | TCP/8080",
    // its own namespace as caller: any pod of it
    "back/allow-worker | app.kubernetes.io/name=worker-v2 | Ingress | from pods(*) | TCP/9000",
    // orphan has no caller: the default-deny alone applies
    "monitoring/default-deny-ingress | * | Ingress | deny",
    "monitoring/allow-same-namespace | * | Ingress | from pods(*) | all",
    "monitoring/allow-ingress-gateway | * | Ingress | from ns(ns=istio-ingress)+pods(istio=ingressgateway) | all",
    "monitoring/allow-tracing | * | Ingress | from ns(*) | TCP/4317",
  ]);
});

test("egress lock-down: DNS, istiod, tracing, the API server, the callees and the external hosts' ports", () => {
  const back = table(objects({ egress: { enabled: true, apiServerCidrs: ["203.0.113.7/32"] } })).filter(
    (l) => l.startsWith("back/") && l.includes("Egress"),
  );
  expect(back).toEqual([
    "back/default-deny-egress | * | Egress | deny",
    "back/allow-egress | * | Egress | to ns(ns=kube-system)+pods(k8s-app=kube-dns) | UDP/53,TCP/53",
    "back/allow-egress | * | Egress | to ns(ns=istio-system)+pods(app=istiod) | TCP/15012",
    "back/allow-egress | * | Egress | to ns(ns=monitoring) | TCP/4317",
    "back/allow-egress | * | Egress | to ip(203.0.113.7/32) | TCP/443",
    "back/allow-egress | * | Egress | to pods(app=api) | TCP/8080",
    "back/allow-egress | * | Egress | to pods(app.kubernetes.io/name=worker-v2) | TCP/9000",
    "back/allow-egress | * | Egress | to ip(0.0.0.0/0) | TCP/443",
  ]);
});

test("egress: a caller in another namespace reaches its callee's pods there", () => {
  expect(table(objects({ egress: { enabled: true } })).filter((l) => l.startsWith("front/allow-egress"))).toContain(
    "front/allow-egress | * | Egress | to ns(ns=back)+pods(app=api) | TCP/8080",
  );
});

test("istiod's namespace admits proxies on 15012, the API server's webhook calls on 15017 from anywhere, Prometheus on 15014", () => {
  expect(table(objects({ controlPlane: true })).filter((l) => l.startsWith("istio-system/"))).toEqual([
    "istio-system/default-deny-ingress | * | Ingress | deny",
    "istio-system/allow-istiod | app=istiod | Ingress | from ns(*) | TCP/15012",
    "istio-system/allow-istiod | app=istiod | Ingress | from anywhere | TCP/15017",
    "istio-system/allow-istiod | app=istiod | Ingress | from ns(ns=monitoring) | TCP/15014",
  ]);
});

test("writes nothing for istiod's namespace or egress unless asked", () => {
  const names = objects().map((o) => `${o.namespace}/${o.name}`);
  expect(names.some((n) => n.startsWith("istio-system/") || n.includes("egress"))).toBe(false);
});
