// Envoy proxy sizing: every sidecar and gateway proxy has requests (so the scheduler reserves room for it) and a
// memory limit no higher than a ceiling (the user's optimisation: 1Gi per proxy). One misconfigured mesh-wide value
// multiplies by the number of pods.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  shown,
  at,
  configOf,
  helmRelease,
  isIstioRelease,
  type Json,
  kubeObject,
  knownItems,
  parseQuantity,
  podTemplates,
  str,
  UNKNOWN,
} from "../lib";
import { COMPONENT_TYPES } from "../contract";

/** One place that sizes Envoy proxies: its resources block, what it sizes, and the stack config key behind it. */
interface ProxySite {
  where: string;
  resources: Json | undefined;
  configKey?: string;
}

/** The config key that feeds a site, recognised from the component that declared the resource (its URN). */
function configKeyFor(urn: string, fallback?: string): string | undefined {
  if (urn.includes(COMPONENT_TYPES.controlPlane)) return "aks-mesh:istio.proxy.resources";
  if (urn.includes(COMPONENT_TYPES.ingressGateway)) return "aks-mesh:ingressGateway.resources";
  return fallback;
}

/** Every proxy-sizing block a resource declares: istiod's global.proxy, the gateway chart, istio-proxy containers. */
function proxySites(args: ResourceValidationArgs): ProxySite[] {
  const release = helmRelease(args.type, args.props, args.urn);
  if (release) {
    if (isIstioRelease(release) !== true) return [];
    if (release.chart === "istiod") {
      const key = configKeyFor(args.urn);
      return [
        {
          where: `sidecar proxies (istiod release values global.proxy.resources)`,
          resources: at(release.values, "global", "proxy", "resources"),
          ...(key ? { configKey: key } : {}),
        },
      ];
    }
    if (release.chart === "gateway") {
      return [
        { where: `gateway proxies (gateway release values resources)`, resources: at(release.values, "resources") },
      ];
    }
    return [];
  }
  const obj = kubeObject(args.type, args.props, args.urn);
  if (!obj) return [];
  const sites: ProxySite[] = [];
  for (const t of podTemplates(obj)) {
    if (t.spec === UNKNOWN) continue;
    for (const c of knownItems(at(t.spec, "containers"))) {
      if (str(at(c, "name")) !== "istio-proxy") continue;
      const key = configKeyFor(args.urn);
      sites.push({
        where: `container istio-proxy of ${obj.kind} ${shown(obj.name)}`,
        resources: at(c, "resources"),
        ...(key ? { configKey: key } : {}),
      });
    }
  }
  return sites;
}

const hint = (s: ProxySite) => (s.configKey ? ` (config ${s.configKey})` : "");

interface MemoryConfig {
  /** The highest memory limit a proxy may have. */
  maxMemoryLimit: string;
}

const DEFAULT_MAX_MEMORY = "1Gi";
const DEFAULT_MAX_BYTES = 2 ** 30;

export const proxyMemoryLimitWithinMax: ResourceValidationPolicy & Why = {
  name: "proxy-memory-limit-within-max",
  description:
    "Every sidecar and gateway proxy has a memory limit no higher than maxMemoryLimit (default 1Gi): without one a " +
    "leaking or over-configured Envoy can take a node's memory, and a mesh-wide value is paid once per pod (Istio performance docs).",
  enforcementLevel: "mandatory",
  why: "one Envoy per pod, so a mesh-wide value is paid once per pod",
  configSchema: {
    properties: {
      maxMemoryLimit: {
        type: "string",
        default: DEFAULT_MAX_MEMORY,
        pattern: "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$",
        description: "The highest memory limit a proxy may have, as a Kubernetes quantity.",
      },
    },
  },
  validateResource: (args, report) => {
    const cfg = configOf<MemoryConfig>(args, { maxMemoryLimit: DEFAULT_MAX_MEMORY });
    const max = parseQuantity(cfg.maxMemoryLimit) ?? DEFAULT_MAX_BYTES;
    for (const site of proxySites(args)) {
      if (site.resources === UNKNOWN) continue;
      const limit = at(site.resources, "limits", "memory");
      if (limit === UNKNOWN) continue;
      if (limit === undefined) {
        report(
          `${site.where} has no memory limit: set resources.limits.memory to at most ${cfg.maxMemoryLimit}${hint(site)}.`,
        );
        continue;
      }
      const text = typeof limit === "string" || typeof limit === "number" ? String(limit) : undefined;
      const value = text === undefined ? undefined : parseQuantity(text);
      if (text === undefined || value === undefined) {
        report(`${site.where} has memory limit ${JSON.stringify(limit)}, not a Kubernetes quantity${hint(site)}.`);
      } else if (value > max) {
        report(
          `${site.where} has memory limit ${text}, above the maximum ${cfg.maxMemoryLimit}: lower it${hint(site)} ` +
            "or raise this policy's maxMemoryLimit for the stack.",
        );
      }
    }
    // A per-workload override (annotation sidecar.istio.io/proxyMemoryLimit) beats the mesh-wide value.
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    for (const t of podTemplates(obj)) {
      if (t.annotations === UNKNOWN) continue;
      const override = t.annotations["sidecar.istio.io/proxyMemoryLimit"];
      if (override === undefined) continue;
      const value = parseQuantity(override);
      if (value === undefined || value > max) {
        report(
          `${obj.kind} ${shown(obj.name)} sets sidecar.istio.io/proxyMemoryLimit "${override}", ` +
            `${value === undefined ? "not a quantity" : `above the maximum ${cfg.maxMemoryLimit}`}: lower or remove the annotation.`,
        );
      }
    }
  },
};

export const proxyResourceRequestsSet: ResourceValidationPolicy & Why = {
  name: "proxy-resource-requests-set",
  description:
    "Every sidecar and gateway proxy requests CPU and memory, so the scheduler reserves room for Envoy next to the " +
    "application and the HPA can compute utilisation (Kubernetes resource management, Istio performance docs).",
  enforcementLevel: "mandatory",
  why: "the scheduler reserves room for Envoy, the HPA can compute utilisation",
  validateResource: (args, report) => {
    for (const site of proxySites(args)) {
      if (site.resources === UNKNOWN) continue;
      const missing = (["cpu", "memory"] as const).filter((r) => at(site.resources, "requests", r) === undefined);
      if (missing.length > 0) {
        report(
          `${site.where} has no ${missing.join(" or ")} request: set resources.requests.${missing.join("/")}${hint(site)}.`,
        );
      }
    }
  },
};
