// One Sidecar per application namespace: each proxy receives the configuration of what its namespace calls (per the
// service graph) instead of every service of the mesh, the main lever on proxy memory and istiod push cost as the mesh
// grows (istio.io docs ops/best-practices/performance, "Sidecar": limit what each proxy is sent).
import type { GraphNamespace, GraphService, ServiceGraph } from "../../config";
import { type IstioSpecs, meshLabels, serviceFqdn } from "../shared";

/**
 * Istio's recommended name for a namespace's one Sidecar without workloadSelector: the default of every pod in the
 * namespace (istio.io reference/config/networking/sidecar, NOTE 1; two selector-less Sidecars in one namespace are
 * undefined behaviour, so this program writes exactly one and nothing else may).
 */
export const DEFAULT_SIDECAR_NAME = "default";

export interface SidecarScope {
  /** The control plane's namespace (ControlPlaneHandle.namespace): istiod, and the mesh-wide objects of the root namespace. */
  controlPlaneNamespace: string;
}

/**
 * The egress hosts of a namespace's Sidecar, in "<namespace>/<dnsName>" form (Sidecar IstioEgressListener.hosts):
 * - `./*`: every service of its own namespace;
 * - `<control plane>/*`: istiod and what the root namespace holds;
 * - `<monitoring>/*` when the observability layer is on: the telemetry back ends the proxies send to (Jaeger's
 *   collector receives their spans);
 * - `<ns>/<fqdn>` of every service the graph says the namespace calls, outside its own namespace;
 * - `*\/<host>` of every external host its services call, wherever its ServiceEntry lives.
 * A destination outside this list is unknown to the proxy: with outboundTrafficPolicy ALLOW_ANY it still passes
 * through as plain TCP (no retries, no per-route metrics); with REGISTRY_ONLY it is refused.
 */
export function sidecarEgressHosts(ns: GraphNamespace, graph: ServiceGraph, scope: SidecarScope): string[] {
  const called = ns.calls
    .map((name) => graph.services[name])
    .filter((s): s is GraphService => s !== undefined && s.namespace !== ns.name)
    .map((s) => `${s.namespace}/${serviceFqdn(s.name, s.namespace)}`);
  const external = ns.external.map((e) => `*/${e.host}`);
  return unique([
    "./*",
    `${scope.controlPlaneNamespace}/*`,
    ...(graph.monitoringNamespace ? [`${graph.monitoringNamespace}/*`] : []),
    ...called.sort(),
    ...external.sort(),
  ]);
}

/** The Sidecar spec of a namespace: no workloadSelector, one egress listener of the hosts above. */
export function sidecarSpec(ns: GraphNamespace, graph: ServiceGraph, scope: SidecarScope): IstioSpecs["Sidecar"] {
  return { egress: [{ hosts: sidecarEgressHosts(ns, graph, scope) }] };
}

/** The namespaces that get a Sidecar: the graph's namespaces enrolled in the mesh (outside it, no proxy reads one). */
export function sidecarNamespaces(graph: ServiceGraph): GraphNamespace[] {
  return Object.values(graph.namespaces).filter((ns) => ns.inMesh);
}

/** Labels of every Sidecar this program writes. */
export const sidecarLabels = () => meshLabels("mesh");

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
