// The NetworkPolicies of aks-mesh:security.networkPolicies as a pure function of the service graph, so a test reads
// the whole table without a Pulumi runtime. How the ports are chosen, against what really crosses the network:
// - a sidecar does not change the port a packet arrives on: the client's proxy connects to the endpoint's pod IP and
//   targetPort (EDS endpoints), and the server pod's own iptables (istio-iptables, ISTIO_INBOUND) redirect it to Envoy's
//   15006 only inside the pod's network namespace, after the engine (iptables on the node for Azure NPM and Calico,
//   eBPF on the pod's interface for Cilium) has judged it. So an allow names the container port (the Service's
//   targetPort), never 15006 and never the Service port;
// - Prometheus scrapes pilot-agent's merged metrics on 15020 and Envoy's own on 15090 without a sidecar (Istio docs,
//   "Ports used by Istio"), so it needs its own allow;
// - kubelet probes (rewritten by the injector to pilot-agent's 15020/15021) come from the node, which a NetworkPolicy
//   never blocks (Kubernetes docs, network policies: traffic from the node a pod runs on is always allowed).
// A service's pods are selected by its podLabels (services.<name>.podLabels, default app: <name>), the same labels the
// authorization policies select it by, so both layers always agree on what a service is; they need no sidecar, so a
// caller outside the mesh is selected as precisely as one inside.
import type * as k8s from "@pulumi/kubernetes";
import { type GraphService, podPorts, type ServiceGraph } from "../../config/mesh";
import { JAEGER_OTLP_GRPC_PORT } from "../observability/paths";

type Spec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Port = k8s.types.input.networking.v1.NetworkPolicyPort;

/** The label Kubernetes sets on every namespace (GA in 1.22): its own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
/** pilot-agent's merged Prometheus metrics and Envoy's own (Istio docs, "Ports used by Istio"). */
export const SIDECAR_TELEMETRY_PORTS = [15020, 15090] as const;
/** istiod: xDS and CA over TLS (the port every proxy connects to), webhooks, monitoring (Istio docs, same table). */
export const ISTIOD_PORTS = { xds: 15012, webhook: 15017, monitoring: 15014 } as const;
/** Labels of istiod's pods, every revision (istio-discovery chart, deployment.yaml). */
export const ISTIOD_POD_LABELS = { app: "istiod" };
/** CoreDNS on AKS: Deployment coredns in kube-system, pods labelled k8s-app=kube-dns, on port 53. */
export const KUBE_DNS = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, port: 53 } as const;
/** The API server's port on AKS. */
export const API_SERVER_PORT = 443;

/** Names of the objects, the same in every namespace (`kubectl get networkpolicy -A` reads as the table below). */
export const NETWORK_POLICY_NAMES = {
  defaultDenyIngress: "default-deny-ingress",
  telemetry: "allow-istio-telemetry",
  service: (service: string) => `allow-${service}`,
  defaultDenyEgress: "default-deny-egress",
  egress: "allow-egress",
  istiod: "allow-istiod",
  sameNamespace: "allow-same-namespace",
  gateway: "allow-ingress-gateway",
  tracing: "allow-tracing",
} as const;

/** One NetworkPolicy to write. */
export interface NetworkPolicyObject {
  readonly namespace: string;
  readonly name: string;
  readonly spec: Spec;
}

/** What the policies need besides the graph: handles of the other areas and the section's switches. */
export interface NetworkPolicyScope {
  /** Namespaces enrolled in the mesh (config meshNamespaces): each gets a default-deny. */
  readonly meshNamespaces: readonly string[];
  /** The ingress gateway's namespace and pod labels (GatewayHandle). */
  readonly gateway: { readonly namespace: string; readonly selector: Readonly<Record<string, string>> };
  /** istiod's namespace (ControlPlaneHandle.namespace). */
  readonly controlPlaneNamespace: string;
  readonly egress: { readonly enabled: boolean; readonly apiServerCidrs: readonly string[] };
  /** Deny ingress in istiod's namespace too. */
  readonly controlPlane: boolean;
}

const tcp = (port: number): Port => ({ protocol: "TCP", port });
const namespaceSelector = (namespace: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } });
const podsOf = (s: GraphService) => ({ matchLabels: { ...s.podLabels } });
const denyAll = (type: "Ingress" | "Egress"): Spec => ({ podSelector: {}, policyTypes: [type] });

/** The pods of a service as seen from namespace `from`: its podLabels, in its own namespace. */
function servicePeer(s: GraphService, from: string): Peer {
  return s.namespace === from
    ? { podSelector: podsOf(s) }
    : { namespaceSelector: namespaceSelector(s.namespace), podSelector: podsOf(s) };
}

/** Who may open a connection to a service's pods: its declared callers and, when a route exposes it, the gateway. */
export function ingressPeers(s: GraphService, graph: ServiceGraph, scope: NetworkPolicyScope): Peer[] {
  const peers: Peer[] = [];
  for (const name of s.callers.services) {
    const caller = graph.services[name];
    if (caller) peers.push(servicePeer(caller, s.namespace));
  }
  for (const ns of s.callers.namespaces) {
    peers.push(ns === s.namespace ? { podSelector: {} } : { namespaceSelector: namespaceSelector(ns) });
  }
  if (s.callers.ingress) {
    peers.push({
      namespaceSelector: namespaceSelector(scope.gateway.namespace),
      podSelector: { matchLabels: { ...scope.gateway.selector } },
    });
  }
  return peers;
}

/** The ingress side of one mesh namespace: default-deny, Prometheus's scrape, one allow per service with callers. */
function ingressPolicies(namespace: string, graph: ServiceGraph, scope: NetworkPolicyScope): NetworkPolicyObject[] {
  const out: NetworkPolicyObject[] = [
    { namespace, name: NETWORK_POLICY_NAMES.defaultDenyIngress, spec: denyAll("Ingress") },
  ];
  if (graph.monitoringNamespace) {
    out.push({
      namespace,
      name: NETWORK_POLICY_NAMES.telemetry,
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: namespaceSelector(graph.monitoringNamespace) }],
            ports: SIDECAR_TELEMETRY_PORTS.map(tcp),
          },
        ],
      },
    });
  }
  for (const s of Object.values(graph.services).filter((x) => x.namespace === namespace)) {
    const from = ingressPeers(s, graph, scope);
    if (from.length === 0) continue; // nobody may call it: the default-deny says so
    out.push({
      namespace,
      name: NETWORK_POLICY_NAMES.service(s.name),
      spec: {
        podSelector: podsOf(s),
        policyTypes: ["Ingress"],
        ingress: [{ from, ports: podPorts(s).map(tcp) }],
      },
    });
  }
  return out;
}

/**
 * The egress lock-down of one mesh namespace: DNS, istiod, the tracing collector, the API server when its addresses
 * are given, the services the graph says the namespace calls, and the ports of its external hosts (a NetworkPolicy
 * cannot name a host: these go to any address outside the cluster's pods; Istio's egress rules narrow them by name).
 */
function egressPolicies(namespace: string, graph: ServiceGraph, scope: NetworkPolicyScope): NetworkPolicyObject[] {
  const rules: NonNullable<Spec["egress"]> = [
    {
      to: [
        {
          namespaceSelector: namespaceSelector(KUBE_DNS.namespace),
          podSelector: { matchLabels: { ...KUBE_DNS.labels } },
        },
      ],
      ports: [
        { protocol: "UDP", port: KUBE_DNS.port },
        { protocol: "TCP", port: KUBE_DNS.port },
      ],
    },
    {
      to: [
        {
          namespaceSelector: namespaceSelector(scope.controlPlaneNamespace),
          podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } },
        },
      ],
      ports: [tcp(ISTIOD_PORTS.xds)],
    },
  ];
  if (graph.monitoringNamespace) {
    rules.push({
      to: [{ namespaceSelector: namespaceSelector(graph.monitoringNamespace) }],
      ports: [tcp(JAEGER_OTLP_GRPC_PORT)],
    });
  }
  if (scope.egress.apiServerCidrs.length > 0) {
    rules.push({
      to: scope.egress.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ports: [tcp(API_SERVER_PORT)],
    });
  }
  const ns = graph.namespaces[namespace];
  for (const name of ns?.calls ?? []) {
    const callee = graph.services[name];
    if (callee) rules.push({ to: [servicePeer(callee, namespace)], ports: podPorts(callee).map(tcp) });
  }
  const externalPorts = [...new Set((ns?.external ?? []).map((e) => e.port))].sort((a, b) => a - b);
  if (externalPorts.length > 0) rules.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: externalPorts.map(tcp) });
  return [
    { namespace, name: NETWORK_POLICY_NAMES.defaultDenyEgress, spec: denyAll("Egress") },
    { namespace, name: NETWORK_POLICY_NAMES.egress, spec: { podSelector: {}, policyTypes: ["Egress"], egress: rules } },
  ];
}

/**
 * istiod's namespace: default-deny, then istiod admits every namespace's proxies on 15012, the API server's webhook
 * calls on 15017 from any address (they reach istiod through AKS's konnectivity tunnel, from no address a plan can
 * know) and Prometheus on 15014.
 */
function controlPlanePolicies(graph: ServiceGraph, scope: NetworkPolicyScope): NetworkPolicyObject[] {
  const namespace = scope.controlPlaneNamespace;
  const ingress: NonNullable<Spec["ingress"]> = [
    { from: [{ namespaceSelector: {} }], ports: [tcp(ISTIOD_PORTS.xds)] },
    { ports: [tcp(ISTIOD_PORTS.webhook)] },
  ];
  if (graph.monitoringNamespace) {
    ingress.push({
      from: [{ namespaceSelector: namespaceSelector(graph.monitoringNamespace) }],
      ports: [tcp(ISTIOD_PORTS.monitoring)],
    });
  }
  return [
    { namespace, name: NETWORK_POLICY_NAMES.defaultDenyIngress, spec: denyAll("Ingress") },
    {
      namespace,
      name: NETWORK_POLICY_NAMES.istiod,
      spec: { podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } }, policyTypes: ["Ingress"], ingress },
    },
  ];
}

/**
 * The observability namespace (enrolled in the mesh, so it too gets its default-deny): its tools call each other
 * (Grafana and Kiali read Prometheus, Loki and Jaeger; Prometheus scrapes its neighbours; Alloy ships to Loki); the
 * ingress gateway reaches the tools the monitoring VirtualService routes to (it routes nothing else there); every
 * proxy of the mesh sends spans to Jaeger's OTLP receiver.
 */
function monitoringPolicies(namespace: string, scope: NetworkPolicyScope): NetworkPolicyObject[] {
  const ingressOnly = (ingress: NonNullable<Spec["ingress"]>): Spec => ({
    podSelector: {},
    policyTypes: ["Ingress"],
    ingress,
  });
  return [
    { namespace, name: NETWORK_POLICY_NAMES.defaultDenyIngress, spec: denyAll("Ingress") },
    { namespace, name: NETWORK_POLICY_NAMES.sameNamespace, spec: ingressOnly([{ from: [{ podSelector: {} }] }]) },
    {
      namespace,
      name: NETWORK_POLICY_NAMES.gateway,
      spec: ingressOnly([
        {
          from: [
            {
              namespaceSelector: namespaceSelector(scope.gateway.namespace),
              podSelector: { matchLabels: { ...scope.gateway.selector } },
            },
          ],
        },
      ]),
    },
    {
      namespace,
      name: NETWORK_POLICY_NAMES.tracing,
      spec: ingressOnly([{ from: [{ namespaceSelector: {} }], ports: [tcp(JAEGER_OTLP_GRPC_PORT)] }]),
    },
  ];
}

/**
 * Every NetworkPolicy of the section: namespace by namespace in meshNamespaces order, then the observability
 * namespace, then istiod's.
 */
export function networkPolicyObjects(graph: ServiceGraph, scope: NetworkPolicyScope): NetworkPolicyObject[] {
  return [
    ...scope.meshNamespaces.flatMap((ns) => [
      ...ingressPolicies(ns, graph, scope),
      ...(scope.egress.enabled ? egressPolicies(ns, graph, scope) : []),
    ]),
    ...(graph.monitoringNamespace ? monitoringPolicies(graph.monitoringNamespace, scope) : []),
    ...(scope.controlPlane ? controlPlanePolicies(graph, scope) : []),
  ];
}
