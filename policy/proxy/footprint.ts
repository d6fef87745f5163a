// The mesh's footprint: the CPU and memory its pods request and may use (limits), per pod and for the replicas the
// stack declares, and their share of the node pool's allocatable. One pure function over resources as the pack sees
// them, so the plan's report (plan/<stack>/footprint.json) and the policy mesh-footprint-within-node-share read the
// same figures. A plan cannot measure usage: it shows what the scheduler reserves (requests) and the most the pods may
// take (limits), which is what a change of proxy resources moves.
import {
  CLUSTER_KUBERNETES_VERSION_OUTPUT,
  CLUSTER_NODE_POOL_OUTPUT,
  CLUSTER_TYPES,
  INJECT_TEMPLATES_ANNOTATION,
  MESH_SERVICES_OUTPUT,
  REVISION_LABEL,
} from "../contract";
import {
  at,
  helmRelease,
  isIstioRelease,
  isObject,
  type Json,
  knownItems,
  kubeObject,
  type KubeObject,
  num,
  parseQuantity,
  plain,
  podTemplates,
  str,
} from "../lib";
import { declaredNamespaces, INJECTION_LABEL } from "../lib/injection";
import { allocatable, type Allocatable, AZURE_CNI_OVERLAY_DEFAULT_MAX_PODS, type NodePool } from "../lib/node-pool";
import { routeDestinations } from "../lib/virtual-services";

/** A resource as the pack sees it (PolicyResource has these fields). */
export interface FootprintResource {
  type: string;
  urn: string;
  props: Record<string, unknown>;
}

/** Millicores and MiB. */
export interface Amount {
  cpuMillis: number;
  memoryMiB: number;
}

export interface FootprintItem {
  /** sidecars, gateway, istiod or addon. */
  kind: "sidecars" | "gateway" | "istiod" | "addon";
  name: string;
  /** Whether the sized container is an Envoy proxy. */
  envoy: boolean;
  requests: Amount;
  limits: Amount;
  /** Requests or limits the declaration leaves unset (counted as 0). */
  unset: string[];
  replicas: { min: number; max: number };
  /** Where the replica count comes from. */
  replicasFrom: string;
  /** Where the sizes come from. */
  sizedBy: string;
}

export interface Totals {
  requests: Amount;
  limits: Amount;
}

export interface Footprint {
  items: FootprintItem[];
  /** Envoy proxies (sidecars and gateways) and the whole mesh (plus istiod and the addons), at min and max replicas. */
  totals: { envoy: { min: Totals; max: Totals }; mesh: { min: Totals; max: Totals } };
  /** The node pool and its estimated allocatable, or why it is not known. */
  nodePool: { pool: NodePool; allocatable: Allocatable } | { unknown: string };
  /** Totals as percentages of the pool's allocatable (absent when the pool is unknown). */
  share?: {
    envoy: { min: Percentages; max: Percentages };
    mesh: { min: Percentages; max: Percentages };
  };
  /** How the sidecar count was estimated. */
  sidecarEstimate: string;
}

export interface Percentages {
  requests: { cpu: number; memory: number };
  limits: { cpu: number; memory: number };
}

/** Replicas assumed per application service: the plan does not see the applications' Deployments. */
export const DEFAULT_SERVICE_REPLICAS = 2;

/** Istio's chart defaults (istiod values.yaml, 1.23 to 1.30): the sidecar's resources and istiod's. */
const ISTIO_PROXY_DEFAULT = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } };
const ISTIOD_DEFAULT = { requests: { cpu: "500m", memory: "2048Mi" } };
const ISTIOD_AUTOSCALE_DEFAULT = { min: 1, max: 5 };

const ZERO: Amount = { cpuMillis: 0, memoryMiB: 0 };
const MiB = 1024 * 1024;

function quantity(v: Json | undefined, unit: number): number | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const q = parseQuantity(v);
  return q === undefined ? undefined : q / unit;
}

/** A resources block read into amounts; what it leaves unset is listed. */
function sized(resources: Json | undefined): { requests: Amount; limits: Amount; unset: string[] } {
  const unset: string[] = [];
  const read = (section: "requests" | "limits"): Amount => {
    const cpu = quantity(at(resources, section, "cpu"), 1e-3);
    const memory = quantity(at(resources, section, "memory"), MiB);
    if (cpu === undefined) unset.push(`${section}.cpu`);
    if (memory === undefined) unset.push(`${section}.memory`);
    return { cpuMillis: Math.round(cpu ?? 0), memoryMiB: Math.round(memory ?? 0) };
  };
  return { requests: read("requests"), limits: read("limits"), unset };
}

function withDefaults(given: Json | undefined, defaults: object): Json {
  const d = plain(defaults);
  if (!isObject(given)) return d;
  const merged: Record<string, Json> = {};
  for (const section of ["requests", "limits"]) {
    const g = at(given, section);
    const base = at(d, section);
    merged[section] = isObject(g) ? g : (base ?? null);
  }
  return merged;
}

const int = (v: Json | undefined): number | undefined => {
  const n = num(v);
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};

/** The node pool from the cluster components' output (existing cluster) or a ManagedCluster's first pool. */
function nodePoolOf(resources: FootprintResource[]): NodePool | string {
  for (const r of resources) {
    if (r.type !== CLUSTER_TYPES.existing && r.type !== CLUSTER_TYPES.created) continue;
    const p = plain(r.props);
    const pool = at(p, CLUSTER_NODE_POOL_OUTPUT);
    const vmSize = str(at(pool, "vmSize"));
    const count = int(at(pool, "count"));
    const maxPods = int(at(pool, "maxPods"));
    if (typeof vmSize === "string" && count !== undefined && maxPods !== undefined) {
      const version = str(at(p, CLUSTER_KUBERNETES_VERSION_OUTPUT));
      return { vmSize, count, maxPods, ...(typeof version === "string" ? { kubernetesVersion: version } : {}) };
    }
  }
  for (const r of resources) {
    if (r.type !== "azure-native:containerservice:ManagedCluster") continue;
    const p = plain(r.props);
    const first = knownItems(at(p, "agentPoolProfiles"))[0];
    const vmSize = str(at(first, "vmSize"));
    const count = int(at(first, "count"));
    if (typeof vmSize !== "string" || count === undefined) continue;
    const version = str(at(p, "kubernetesVersion"));
    return {
      vmSize,
      count,
      maxPods: int(at(first, "maxPods")) ?? AZURE_CNI_OVERLAY_DEFAULT_MAX_PODS,
      ...(typeof version === "string" ? { kubernetesVersion: version } : {}),
    };
  }
  return (
    "the node pool is not known: set aks-mesh:cluster.nodePool { vmSize, count, maxPods } for an existing cluster " +
    '(az aks nodepool list -g <group> --cluster-name <cluster> --query "[].{name:name,vmSize:vmSize,count:count,maxPods:maxPods}")'
  );
}

/** Application namespaces with sidecar injection on: labelled with a revision or istio-injection=enabled. */
function injectedNamespaces(objects: KubeObject[]): string[] {
  const declared = declaredNamespaces(objects);
  if (typeof declared === "symbol") return [];
  // A gateway's namespace holds gateway pods only (counted below), injected by their own labels.
  const gateways = new Set(
    objects.flatMap((o) =>
      podTemplates(o).flatMap((t) =>
        typeof t.namespace === "string" &&
        typeof t.annotations !== "symbol" &&
        t.annotations[INJECT_TEMPLATES_ANNOTATION] === "gateway"
          ? [t.namespace]
          : [],
      ),
    ),
  );
  return [...declared.entries()]
    .filter(
      ([ns, d]) =>
        !gateways.has(ns) && (d.labels[REVISION_LABEL] !== undefined || d.labels[INJECTION_LABEL] === "enabled"),
    )
    .map(([ns]) => ns)
    .sort();
}

/** The application services the mesh area registers (aks-mesh:services); undefined when no component does. */
function graphServices(
  resources: FootprintResource[],
): { name: string; namespace: string; replicas?: number }[] | undefined {
  for (const r of resources) {
    if (!r.type.startsWith("aks-mesh:")) continue;
    const list = at(plain(r.props), MESH_SERVICES_OUTPUT);
    if (!Array.isArray(list)) continue;
    return list.flatMap((item) => {
      const name = str(at(item, "name"));
      const namespace = str(at(item, "namespace"));
      const replicas = int(at(item, "replicas"));
      if (typeof name !== "string" || typeof namespace !== "string") return [];
      return [{ name, namespace, ...(replicas !== undefined ? { replicas } : {}) }];
    });
  }
  return undefined;
}

/** The services VirtualServices route to, by namespace ("name.ns.svc.cluster.local", or a short name in the VS's own). */
function routedServices(objects: KubeObject[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const vs of objects.filter((o) => o.kind === "VirtualService")) {
    const own = typeof vs.namespace === "string" ? vs.namespace : undefined;
    for (const d of routeDestinations(vs.spec)) {
      const host = str(at(d.destination, "host"));
      if (typeof host !== "string") continue;
      const parts = host.split(".");
      const name = parts[0] ?? host;
      const ns = parts.length >= 2 ? parts[1] : own;
      if (!ns) continue;
      out.set(ns, (out.get(ns) ?? new Set()).add(name));
    }
  }
  return out;
}

/** Pods of a chart's component: [values path of its resources, replicas path or a count, whether it is enabled]. */
type AddonPart = { name: string; resources: string[]; replicas: string[] | "perNode"; enabledAt?: string[] };
const ADDON_PARTS: Record<string, AddonPart[]> = {
  prometheus: [
    { name: "prometheus server", resources: ["server", "resources"], replicas: ["server", "replicaCount"] },
    {
      name: "alertmanager",
      resources: ["alertmanager", "resources"],
      replicas: ["alertmanager", "replicaCount"],
      enabledAt: ["alertmanager", "enabled"],
    },
    {
      name: "kube-state-metrics",
      resources: ["kube-state-metrics", "resources"],
      replicas: ["kube-state-metrics", "replicas"],
      enabledAt: ["kube-state-metrics", "enabled"],
    },
    {
      name: "node-exporter",
      resources: ["prometheus-node-exporter", "resources"],
      replicas: "perNode",
      enabledAt: ["prometheus-node-exporter", "enabled"],
    },
  ],
  grafana: [{ name: "grafana", resources: ["resources"], replicas: ["replicas"] }],
  loki: [{ name: "loki", resources: ["singleBinary", "resources"], replicas: ["singleBinary", "replicas"] }],
  alloy: [{ name: "alloy", resources: ["alloy", "resources"], replicas: "perNode" }],
  jaeger: [{ name: "jaeger", resources: ["jaeger", "resources"], replicas: ["jaeger", "replicas"] }],
  "kiali-server": [{ name: "kiali", resources: ["deployment", "resources"], replicas: ["deployment", "replicas"] }],
};

function sum(items: FootprintItem[], bound: "min" | "max"): Totals {
  const add = (a: Amount, b: Amount, n: number): Amount => ({
    cpuMillis: a.cpuMillis + b.cpuMillis * n,
    memoryMiB: a.memoryMiB + b.memoryMiB * n,
  });
  return items.reduce<Totals>(
    (t, i) => ({
      requests: add(t.requests, i.requests, i.replicas[bound]),
      limits: add(t.limits, i.limits, i.replicas[bound]),
    }),
    { requests: ZERO, limits: ZERO },
  );
}

const pct = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;
function percentages(t: Totals, pool: Amount): Percentages {
  return {
    requests: { cpu: pct(t.requests.cpuMillis, pool.cpuMillis), memory: pct(t.requests.memoryMiB, pool.memoryMiB) },
    limits: { cpu: pct(t.limits.cpuMillis, pool.cpuMillis), memory: pct(t.limits.memoryMiB, pool.memoryMiB) },
  };
}

/** The footprint of the mesh the resources declare. */
export function meshFootprint(resources: FootprintResource[]): Footprint {
  const objects = resources.flatMap((r) => kubeObject(r.type, r.props, r.urn) ?? []);
  const pool = nodePoolOf(resources);
  const nodes = typeof pool === "string" ? undefined : pool.count;
  const items: FootprintItem[] = [];

  // Sidecars: the mesh-wide proxy resources of istiod's release, for every service of an injected namespace.
  const releases = resources.flatMap((r) => helmRelease(r.type, r.props, r.urn) ?? []);
  // The addons' namespace is counted by the addons' own sizes below, not as application workloads.
  const addonNamespaces = new Set(
    releases.flatMap((r) =>
      typeof r.chart === "string" && ADDON_PARTS[r.chart] && typeof r.namespace === "string" ? [r.namespace] : [],
    ),
  );
  const namespaces = injectedNamespaces(objects).filter((ns) => !addonNamespaces.has(ns));
  const declared = graphServices(resources);
  const routed = declared ? undefined : routedServices(objects);
  const services: { label: string; replicas: number; declared: boolean }[] = namespaces.flatMap((ns) => {
    const inNamespace = declared
      ? declared.filter((d) => d.namespace === ns)
      : [...(routed?.get(ns) ?? [])].map((name) => ({ name, namespace: ns, replicas: undefined }));
    if (inNamespace.length === 0)
      return [{ label: `${ns}/(one workload)`, replicas: DEFAULT_SERVICE_REPLICAS, declared: false }];
    return inNamespace
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => ({
        label: `${ns}/${d.name}`,
        replicas: d.replicas ?? DEFAULT_SERVICE_REPLICAS,
        declared: d.replicas !== undefined,
      }));
  });
  // During a canary upgrade two istiod releases run side by side (one per revision), each with its own replicas.
  const istiods = releases.filter((r) => r.chart === "istiod" && isIstioRelease(r) === true);
  const istiod = istiods[0];
  if (istiod && services.length > 0) {
    const given = at(istiod.values, "global", "proxy", "resources");
    const s = sized(withDefaults(given, ISTIO_PROXY_DEFAULT));
    const n = services.reduce((total, x) => total + x.replicas, 0);
    items.push({
      kind: "sidecars",
      name: "sidecars of application workloads",
      envoy: true,
      ...s,
      replicas: { min: n, max: n },
      replicasFrom:
        `${services.length} services (${declared ? "aks-mesh:services" : "routed to by the VirtualServices"}): ` +
        services.map((x) => `${x.label} x${x.replicas}${x.declared ? "" : " (estimate)"}`).join(", "),
      sizedBy: isObject(given)
        ? "istiod release values global.proxy.resources"
        : "Istio's default global.proxy.resources (istiod values.yaml)",
    });
  }

  // Gateways: injected Deployments (template gateway) and their HPA's min and max.
  for (const o of objects) {
    for (const t of podTemplates(o)) {
      if (typeof t.annotations === "symbol" || t.annotations[INJECT_TEMPLATES_ANNOTATION] !== "gateway") continue;
      const proxy = knownItems(at(t.spec, "containers")).find((c) => str(at(c, "name")) === "istio-proxy");
      const s = sized(at(proxy, "resources"));
      const hpa = objects.find(
        (h) =>
          h.kind === "HorizontalPodAutoscaler" &&
          h.namespace === o.namespace &&
          str(at(h.spec, "scaleTargetRef", "name")) === o.name,
      );
      const min = int(at(hpa?.spec, "minReplicas")) ?? 1;
      const max = int(at(hpa?.spec, "maxReplicas"));
      const fixed = int(at(o.spec, "replicas")) ?? 1;
      items.push({
        kind: "gateway",
        name: `${String(o.namespace)}/${String(o.name)}`,
        envoy: true,
        ...s,
        replicas: hpa && max !== undefined ? { min, max } : { min: fixed, max: fixed },
        replicasFrom:
          hpa && max !== undefined ? "its HorizontalPodAutoscaler's minReplicas and maxReplicas" : "spec.replicas",
        sizedBy: "its istio-proxy container's resources",
      });
    }
  }

  // istiod: pilot.resources and its autoscaling range, per revision's release.
  for (const release of istiods) {
    const pilot = at(release.values, "pilot");
    const s = sized(withDefaults(at(pilot, "resources"), ISTIOD_DEFAULT));
    const autoscale = at(pilot, "autoscaleEnabled") !== false;
    const replicas = autoscale
      ? {
          min: int(at(pilot, "autoscaleMin")) ?? ISTIOD_AUTOSCALE_DEFAULT.min,
          max: int(at(pilot, "autoscaleMax")) ?? ISTIOD_AUTOSCALE_DEFAULT.max,
        }
      : { min: int(at(pilot, "replicaCount")) ?? 1, max: int(at(pilot, "replicaCount")) ?? 1 };
    items.push({
      kind: "istiod",
      name: istiods.length > 1 && typeof release.releaseName === "string" ? release.releaseName : "istiod",
      envoy: false,
      ...s,
      replicas,
      replicasFrom: autoscale ? "pilot.autoscaleMin and autoscaleMax" : "pilot.replicaCount",
      sizedBy: "istiod release values pilot.resources (Istio's defaults where unset)",
    });
  }

  // The observability addons, from their Helm values.
  for (const release of releases) {
    const parts = typeof release.chart === "string" ? ADDON_PARTS[release.chart] : undefined;
    for (const part of parts ?? []) {
      if (part.enabledAt && at(release.values, ...part.enabledAt) === false) continue;
      const s = sized(at(release.values, ...part.resources));
      const n = part.replicas === "perNode" ? (nodes ?? 1) : (int(at(release.values, ...part.replicas)) ?? 1);
      items.push({
        kind: "addon",
        name: part.name,
        envoy: false,
        ...s,
        replicas: { min: n, max: n },
        replicasFrom:
          part.replicas === "perNode"
            ? nodes === undefined
              ? "one per node (node count unknown: 1)"
              : "one per node (a DaemonSet)"
            : `values ${part.replicas.join(".")} (chart default 1)`,
        sizedBy: `${String(release.chart)} release values ${part.resources.join(".")}`,
      });
    }
  }

  const envoy = items.filter((i) => i.envoy);
  const totals = {
    envoy: { min: sum(envoy, "min"), max: sum(envoy, "max") },
    mesh: { min: sum(items, "min"), max: sum(items, "max") },
  };
  const sidecarEstimate =
    "the plan does not see the applications' Deployments: each service of aks-mesh:services in an application " +
    `namespace with injection on counts its declared replicas (services.<name>.replicas), else ${DEFAULT_SERVICE_REPLICAS} ` +
    "(an estimate); a stack without the graph counts the services its VirtualServices route to; a namespace with no " +
    "service counts one workload";
  if (typeof pool === "string") return { items, totals, nodePool: { unknown: pool }, sidecarEstimate };
  const alloc = allocatable(pool);
  if (typeof alloc === "string") return { items, totals, nodePool: { unknown: alloc }, sidecarEstimate };
  return {
    items,
    totals,
    nodePool: { pool, allocatable: alloc },
    share: {
      envoy: { min: percentages(totals.envoy.min, alloc.pool), max: percentages(totals.envoy.max, alloc.pool) },
      mesh: { min: percentages(totals.mesh.min, alloc.pool), max: percentages(totals.mesh.max, alloc.pool) },
    },
    sidecarEstimate,
  };
}
