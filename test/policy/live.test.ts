// The cluster's live objects in the pack: the inventory (what the stack does to each), the cross-object checks that
// see them only as the other side of a conflict, and the no-clash policy.
import { ist0145ConflictingGateways } from "../../policy/mesh/gateways";
import { ist0109ConflictingMeshGatewayVirtualServiceHosts } from "../../policy/mesh/virtual-service-rules";
import { kubeObjects } from "../../policy/lib";
import {
  inventory,
  isLive,
  LIVE_OBJECTS_PROPERTY,
  liveKubeObject,
  liveObjectsOf,
  noClashWithLiveIstioObjects,
  withLiveObjects,
} from "../../policy/live";
import { peerAuthenticationSingleMeshWide } from "../../policy/security/peer-authentication";
import { checkStack, type Fixture, gatewayDeployment, istio, namespace, stackArgs, urnOf } from "./fixtures";

const SELECTOR = { app: "istio-ingressgateway", istio: "ingressgateway" };
const OWNED = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "aks-mesh" };

const servers = (hosts: string[]) => [
  { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
  {
    port: { number: 443, name: "https", protocol: "HTTPS" },
    hosts,
    tls: { mode: "SIMPLE", credentialName: "example-com-tls" },
  },
];

/** The stack's public Gateway and one host's VirtualService, as components/ingress builds them. */
const stackGateway = istio(
  "Gateway",
  "public-gateway",
  { selector: SELECTOR, servers: servers(["istio-ingress/www.example.com"]) },
  { namespace: "istio-ingress", labels: OWNED },
);
const stackVs = istio(
  "VirtualService",
  "www-example-com",
  {
    hosts: ["www.example.com"],
    gateways: ["istio-ingress/public-gateway"],
    http: [{ route: [{ destination: { host: "web.web.svc.cluster.local", port: { number: 80 } } }] }],
  },
  { namespace: "istio-ingress", labels: OWNED },
);
const STACK: Fixture[] = [gatewayDeployment(), stackGateway, stackVs];

/** A hand-made object as `kubectl get -o yaml` lists it (the body the live config carries). */
const live = (kind: string, name: string, spec: unknown, namespace = "istio-system") =>
  istio(kind, name, spec, { namespace }).props;

/** istioctl's default ingress Gateway, made by hand, on the same host. */
const liveGateway = (hosts = ["www.example.com"], selector: Record<string, string> = { istio: "ingressgateway" }) =>
  live("Gateway", "istio-ingressgateway", { selector, servers: servers(hosts) });
const liveVs = (hosts = ["www.example.com"], gateways = ["istio-ingressgateway"]) =>
  live("VirtualService", "example", {
    hosts,
    gateways,
    http: [{ route: [{ destination: { host: "web.web.svc.cluster.local" } }] }],
  });

const cfg = (...objects: unknown[]) => ({ [LIVE_OBJECTS_PROPERTY]: objects });

/** The inventory of these live bodies against these stack fixtures. */
function inventoryOf(stack: Fixture[], ...bodies: Record<string, unknown>[]) {
  const objects = kubeObjects(stackArgs(stack).resources);
  const liveObjects = liveObjectsOf(stackArgs([], cfg(...bodies)));
  return inventory(objects, liveObjects, "istio-system").map((e) => ({
    live: `${e.object.kind} ${String(e.object.namespace)}/${String(e.object.name)}`,
    relation: e.relation,
    step: e.step,
    stack: e.stack.map((s) => String(s.object.name)),
  }));
}

describe("inventory of the live objects", () => {
  it("finds a live object with the stack's kind, namespace and name a conflict to import", () => {
    const same = live("VirtualService", "www-example-com", { hosts: ["old.example.com"] }, "istio-ingress");
    expect(inventoryOf(STACK, same)).toEqual([
      {
        live: "VirtualService istio-ingress/www-example-com",
        relation: "conflict",
        step: "import",
        stack: ["www-example-com"],
      },
    ]);
  });

  it("finds a hand-made Gateway whose selector takes in the stack's gateway pods, on the same hosts and ports, a duplicate to delete after cutover", () => {
    expect(inventoryOf(STACK, liveGateway())).toEqual([
      {
        live: "Gateway istio-system/istio-ingressgateway",
        relation: "duplicate",
        step: "delete after cutover",
        stack: ["public-gateway"],
      },
    ]);
  });

  it("keeps a duplicated Gateway that also serves a host the stack does not, naming the host", () => {
    const stack = [...STACK];
    const objects = kubeObjects(stackArgs(stack).resources);
    const [entry] = inventory(
      objects,
      liveObjectsOf(stackArgs([], cfg(liveGateway(["www.example.com", "legacy.example.com"])))),
      "istio-system",
    );
    expect(entry?.relation).toBe("duplicate");
    expect(entry?.step).toBe("keep");
    expect(entry?.note).toContain("legacy.example.com:443");
  });

  it("leaves alone a Gateway on other pods, even for the same host", () => {
    expect(inventoryOf(STACK, liveGateway(["www.example.com"], { istio: "internal-gateway" }))).toEqual([
      { live: "Gateway istio-system/istio-ingressgateway", relation: "none", step: "keep", stack: [] },
    ]);
  });

  it("finds a hand-made VirtualService routing a stack host through a gateway on the same pods a duplicate", () => {
    const entries = inventoryOf(STACK, liveGateway(), liveVs());
    expect(entries[1]).toEqual({
      live: "VirtualService istio-system/example",
      relation: "duplicate",
      step: "delete after cutover",
      stack: ["www-example-com"],
    });
  });

  it("keeps a VirtualService for a host the stack does not route", () => {
    expect(inventoryOf(STACK, liveGateway(), liveVs(["shop.example.com"]))[1]).toMatchObject({
      relation: "none",
      step: "keep",
    });
  });

  it("finds a DestinationRule for the same host in the same namespace a duplicate, and leaves one in another namespace", () => {
    const stackDr = istio("DestinationRule", "web", { host: "web.web.svc.cluster.local" }, { namespace: "web" });
    const sameNs = live("DestinationRule", "web-old", { host: "web.web.svc.cluster.local" }, "web");
    const otherNs = live("DestinationRule", "web-client", { host: "web.web.svc.cluster.local" }, "shop");
    expect(inventoryOf([stackDr], sameNs, otherNs).map((e) => [e.live, e.step])).toEqual([
      ["DestinationRule web/web-old", "delete after cutover"],
      ["DestinationRule shop/web-client", "keep"],
    ]);
  });

  it("finds a hand-made mesh-wide PeerAuthentication a duplicate of the stack's", () => {
    const stackPa = istio(
      "PeerAuthentication",
      "mesh",
      { mtls: { mode: "PERMISSIVE" } },
      { namespace: "istio-system" },
    );
    const livePa = live("PeerAuthentication", "default", { mtls: { mode: "PERMISSIVE" } });
    const scoped = live("PeerAuthentication", "web", { mtls: { mode: "PERMISSIVE" } }, "web");
    expect(inventoryOf([stackPa], livePa, scoped).map((e) => [e.live, e.relation])).toEqual([
      ["PeerAuthentication istio-system/default", "duplicate"],
      ["PeerAuthentication web/web", "none"],
    ]);
  });

  it("lists a live Namespace only when the stack creates one of that name", () => {
    const stack = [namespace("monitoring"), namespace("istio-ingress")];
    const entries = inventoryOf(stack, namespace("monitoring").props, namespace("kube-system").props);
    expect(entries).toEqual([
      { live: "Namespace /monitoring", relation: "conflict", step: "import", stack: ["monitoring"] },
    ]);
  });

  it("does not count the stack's own objects (its labels) as live", () => {
    const own = istio("Gateway", "public-gateway", stackGateway.props.spec, {
      namespace: "istio-ingress",
      labels: OWNED,
    });
    expect(liveObjectsOf(stackArgs([], cfg(own.props)))).toEqual([]);
  });

  it("gives live objects URNs no stack resource has", () => {
    const o = liveKubeObject(liveGateway() as never);
    expect(o && isLive(o)).toBe(true);
    expect(o?.type).toBe("kubernetes:networking.istio.io/v1:Gateway");
  });
});

describe("cross-object checks with the live objects as the other side", () => {
  const conflicting = withLiveObjects(ist0145ConflictingGateways);

  it("IST0145: reports the stack's Gateway that conflicts with a live one (same selector, port and host)", async () => {
    // istioctl compares server hosts as written, namespace prefix included (conflictinggateway.go isGWsHostMatched).
    const sameHost = liveGateway(["istio-ingress/www.example.com"], SELECTOR);
    const violations = await checkStack(conflicting, STACK, cfg(sameHost));
    // One per server (ports 80 and 443), each on the stack's Gateway and naming the live one.
    expect(violations.map((v) => v.urn)).toEqual([urnOf(stackGateway), urnOf(stackGateway)]);
    for (const v of violations) expect(v.message).toContain("Conflict with gateways istio-system/istio-ingressgateway");
  });

  it("IST0145: sees nothing without the live objects", async () => {
    expect(await checkStack(conflicting, STACK)).toEqual([]);
  });

  it("IST0145: never reports a conflict between live objects alone", async () => {
    const a = live("Gateway", "a", { selector: { istio: "legacy" }, servers: servers(["old.example.com"]) });
    const b = live("Gateway", "b", { selector: { istio: "legacy" }, servers: servers(["old.example.com"]) });
    expect(await checkStack(conflicting, STACK, cfg(a, b))).toEqual([]);
  });

  it("IST0109: reports the stack's mesh VirtualService that claims a host a live one claims", async () => {
    const meshVs = istio("VirtualService", "web", { hosts: ["web"], http: [] }, { namespace: "web" });
    const liveMesh = live("VirtualService", "web-legacy", { hosts: ["web.web.svc.cluster.local"], http: [] }, "web");
    const violations = await checkStack(
      withLiveObjects(ist0109ConflictingMeshGatewayVirtualServiceHosts),
      [meshVs],
      cfg(liveMesh),
    );
    expect(violations.map((v) => v.urn)).toEqual([urnOf(meshVs)]);
  });

  it("peer-authentication-single-mesh-wide: reports the stack's mesh-wide PeerAuthentication next to a live one", async () => {
    const stackPa = istio(
      "PeerAuthentication",
      "mesh",
      { mtls: { mode: "PERMISSIVE" } },
      { namespace: "istio-system" },
    );
    const livePa = live("PeerAuthentication", "default", { mtls: { mode: "PERMISSIVE" } });
    const violations = await checkStack(withLiveObjects(peerAuthenticationSingleMeshWide), [stackPa], cfg(livePa));
    expect(violations.map((v) => v.urn)).toEqual([urnOf(stackPa)]);
  });

  it("declares the live objects in the wrapped check's config schema, next to its own settings", () => {
    expect(Object.keys(conflicting.configSchema?.properties ?? {})).toContain(LIVE_OBJECTS_PROPERTY);
  });
});

describe("no-clash-with-live-istio-objects", () => {
  it("rejects a stack Gateway that duplicates a hand-made one, on the stack's Gateway, with the step", async () => {
    const violations = await checkStack(noClashWithLiveIstioObjects, STACK, cfg(liveGateway()));
    expect(violations).toHaveLength(1);
    expect(violations[0]?.urn).toBe(urnOf(stackGateway));
    expect(violations[0]?.message).toContain("Gateway istio-system/istio-ingressgateway");
    expect(violations[0]?.message).toContain("Step for the live object: delete after cutover");
  });

  it("rejects a stack object whose name a live one already has, with the import step", async () => {
    const same = live("VirtualService", "www-example-com", { hosts: ["old.example.com"] }, "istio-ingress");
    const violations = await checkStack(noClashWithLiveIstioObjects, STACK, cfg(same));
    expect(violations.map((v) => [v.urn, v.message.includes("Step for the live object: import")])).toEqual([
      [urnOf(stackVs), true],
    ]);
  });

  it("accepts live objects the stack does not overlap", async () => {
    const other = live("DestinationRule", "reports", { host: "reports.reports.svc.cluster.local" }, "reports");
    expect(await checkStack(noClashWithLiveIstioObjects, STACK, cfg(other, liveVs(["shop.example.com"])))).toEqual([]);
  });

  it("accepts any stack without live objects", async () => {
    expect(await checkStack(noClashWithLiveIstioObjects, STACK)).toEqual([]);
  });
});
