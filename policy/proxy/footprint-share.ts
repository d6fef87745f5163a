// The share of the node pool the mesh's Envoy proxies reserve: the requests of every sidecar and gateway proxy at the
// replicas the stack declares (gateways at their HPA maximum), against the pool's allocatable as AKS reserves it
// (footprint.ts; the same figures as plan/<stack>/footprint.json). A cap per stack keeps a mesh-wide proxy setting or
// a gateway's autoscaling range from quietly taking the room the applications need.
import type { StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "../lib";
import type { Why } from "../lib/why";
import { meshFootprint } from "./footprint";

interface ShareConfig {
  maxCpuRequestPercent: number;
  maxMemoryRequestPercent: number;
}
const DEFAULTS: ShareConfig = { maxCpuRequestPercent: 25, maxMemoryRequestPercent: 25 };

export const meshFootprintWithinNodeShare: StackValidationPolicy & Why = {
  name: "mesh-footprint-within-node-share",
  description:
    "The Envoy proxies' requested CPU and memory (sidecars at the estimated replicas, gateways at their HPA maximum) " +
    "stay within a share of the node pool's allocatable (maxCpuRequestPercent, maxMemoryRequestPercent; AKS node " +
    "reservations as learn.microsoft.com/azure/aks/node-resource-reservations documents them).",
  enforcementLevel: "advisory",
  why: "what proxies reserve on a node is lost to the applications: the share a sidecar resource change moves",
  configSchema: {
    properties: {
      maxCpuRequestPercent: {
        type: "number",
        minimum: 1,
        maximum: 100,
        default: DEFAULTS.maxCpuRequestPercent,
        description: "Highest share (%) of the pool's allocatable CPU the Envoy proxies may request.",
      },
      maxMemoryRequestPercent: {
        type: "number",
        minimum: 1,
        maximum: 100,
        default: DEFAULTS.maxMemoryRequestPercent,
        description: "Highest share (%) of the pool's allocatable memory the Envoy proxies may request.",
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf<ShareConfig>(args, DEFAULTS);
    const f = meshFootprint(args.resources);
    // An unknown node pool leaves nothing to decide; the plan's report says it is unknown.
    if (!f.share || "unknown" in f.nodePool) return;
    const share = f.share.envoy.max.requests;
    const total = f.totals.envoy.max.requests;
    const pool = f.nodePool.allocatable.pool;
    const over = [
      share.cpu > cfg.maxCpuRequestPercent
        ? `CPU ${total.cpuMillis}m is ${share.cpu}% of ${pool.cpuMillis}m (cap ${cfg.maxCpuRequestPercent}%)`
        : undefined,
      share.memory > cfg.maxMemoryRequestPercent
        ? `memory ${total.memoryMiB} MiB is ${share.memory}% of ${pool.memoryMiB} MiB (cap ${cfg.maxMemoryRequestPercent}%)`
        : undefined,
    ].filter((x): x is string => x !== undefined);
    if (over.length === 0) return;
    report(
      `The Envoy proxies request more of the node pool (${f.nodePool.pool.count} x ${f.nodePool.pool.vmSize}, ` +
        `allocatable estimated) than this stack allows: ${over.join("; ")}. Lower the proxy requests ` +
        "(aks-mesh:istio.proxy.resources, aks-mesh:ingressGateway.resources), the gateway's maxReplicas " +
        "(aks-mesh:ingressGateway.autoscaling), scope the sidecars (aks-mesh:sidecars), or grow the pool " +
        "(aks-mesh:cluster.nodePool / cluster.create).",
    );
  },
};
