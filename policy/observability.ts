// The observability layer's guardrails: the monitoring UIs never open to anonymous users in prod, every addon is sized,
// prod tracing stays cheap, and Prometheus/Alertmanager (no login of their own) are never routed without auth in prod.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  at,
  configOf,
  helmRelease,
  isObject,
  istioObjects,
  kubeObject,
  type Json,
  num,
  plain,
  shown,
  str,
  UNKNOWN,
} from "./lib";

/** The addon charts this layer installs (components/observability/charts.ts). */
const ADDON_CHARTS = new Set(["prometheus", "grafana", "loki", "alloy", "jaeger", "kiali-server"]);

/** Where each chart takes its main container's resources. */
const RESOURCE_PATHS: Record<string, string[][]> = {
  prometheus: [
    ["server", "resources"],
    ["alertmanager", "resources"],
  ],
  grafana: [["resources"]],
  loki: [["singleBinary", "resources"]],
  alloy: [["alloy", "resources"]],
  jaeger: [["jaeger", "resources"]],
  "kiali-server": [["deployment", "resources"]],
};

export const kialiNotAnonymous: ResourceValidationPolicy = {
  name: "kiali-not-anonymous",
  description:
    "Kiali never runs with the anonymous strategy: it can edit Istio objects, and its addon manifest's default " +
    "(anonymous) gives that to anyone who reaches the URL (Kiali docs, authentication strategies).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const r = helmRelease(args.type, args.props, args.urn);
    if (!r || r.chart !== "kiali-server") return;
    const strategy = str(at(r.values, "auth", "strategy"));
    if (strategy === UNKNOWN) return;
    if (strategy === undefined || strategy === "" || strategy === "anonymous") {
      report(
        `Kiali release ${args.name} uses auth strategy "${strategy ?? "(chart default)"}": set token or openid ` +
          "(config aks-mesh:observability.kiali.auth).",
      );
    }
  },
};

export const grafanaNoAnonymousAdmin: ResourceValidationPolicy = {
  name: "grafana-no-anonymous-admin",
  description:
    "Grafana's anonymous access, if enabled at all, has the Viewer role: an anonymous Editor or Admin can change " +
    "datasources and read every metric and log (Grafana docs, anonymous authentication).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const r = helmRelease(args.type, args.props, args.urn);
    if (!r || r.chart !== "grafana") return;
    const anon = at(r.values, "grafana.ini", "auth.anonymous");
    if (!isObject(anon)) return;
    const enabled = anon.enabled;
    if (enabled === UNKNOWN || (enabled !== true && enabled !== "true")) return;
    const role = str(anon.org_role);
    if (role === UNKNOWN) return;
    if (role !== "Viewer") {
      report(
        `Grafana release ${args.name} lets anonymous users in as "${role ?? "Viewer (default)"}": keep anonymous ` +
          "access off or Viewer (config aks-mesh:observability.grafana.anonymousViewer).",
      );
    }
  },
};

export const addonResourcesSet: ResourceValidationPolicy = {
  name: "observability-addon-resources-set",
  description:
    "Every observability addon sets CPU and memory requests and limits, so one busy tool cannot starve the nodes the " +
    "mesh runs on (Kubernetes resource management; the user's cut of 70% over-provisioning).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const r = helmRelease(args.type, args.props, args.urn);
    if (!r || typeof r.chart !== "string" || !ADDON_CHARTS.has(r.chart)) return;
    for (const path of RESOURCE_PATHS[r.chart] ?? []) {
      const res = at(r.values, ...path);
      if (res === UNKNOWN) continue;
      const missing = ["requests", "limits"].flatMap((kind) =>
        ["cpu", "memory"]
          .filter((k) => {
            const v = at(res, kind, k);
            return v !== UNKNOWN && (v === undefined || v === null || v === "");
          })
          .map((k) => `${kind}.${k}`),
      );
      if (missing.length > 0) {
        report(
          `${shown(r.chart)} release ${args.name} has no ${missing.join(", ")} at values.${path.join(".")}: set them ` +
            "(config aks-mesh:observability.<tool>.resources).",
        );
      }
    }
  },
};

interface SamplingConfig {
  /** Highest randomSamplingPercentage allowed (percent). */
  maxSamplingPercentage: number;
}

export const tracingSamplingWithinMax: ResourceValidationPolicy = {
  name: "tracing-sampling-within-max",
  description:
    "Telemetry tracing samples no more than a configured share of requests: every traced request costs proxy CPU " +
    "and collector storage, so production samples little (Istio distributed tracing docs).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      maxSamplingPercentage: {
        type: "number",
        minimum: 0,
        maximum: 100,
        default: 100,
        description: "Highest sampling percentage.",
      },
    },
  },
  validateResource: (args, report) => {
    const o = kubeObject(args.type, args.props, args.urn);
    if (!o || istioObjects([o], "Telemetry").length === 0) return;
    const cfg = configOf<SamplingConfig>(args, { maxSamplingPercentage: 100 });
    const tracing = at(o.spec, "tracing");
    if (!Array.isArray(tracing)) return;
    for (const t of tracing) {
      const pct = num(at(t, "randomSamplingPercentage"));
      if (pct === UNKNOWN || pct === undefined) continue;
      if (pct > cfg.maxSamplingPercentage) {
        report(
          `Telemetry ${shown(o.name)} samples ${pct}% of requests, above this stack's maximum of ${cfg.maxSamplingPercentage}%: ` +
            "lower config aks-mesh:observability.tracing.samplingPercentage.",
        );
      }
    }
  },
};

const UNAUTHENTICATED_PATHS = ["/prometheus", "/alertmanager"];
/** Annotation on the monitoring VirtualService naming the paths the gateway guards with a JWT check. */
export const JWT_PATHS_ANNOTATION = "aks-mesh.io/jwt-required-paths";

export const monitoringNoOpenPrometheus: ResourceValidationPolicy = {
  name: "monitoring-no-unauthenticated-prometheus",
  description:
    "No VirtualService routes /prometheus or /alertmanager from a Gateway unless a JWT is required for them: both " +
    "have no login and expose every metric and silence to whoever reaches them (Prometheus security model). " +
    "Advisory by default so dev may open them; policy/prod.json makes it mandatory.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const o = kubeObject(args.type, args.props, args.urn);
    if (!o || istioObjects([o], "VirtualService").length === 0) return;
    // MonitoringRoutes lists the paths the gateway's JWT check guards (components/observability/routes.ts).
    const guarded = str(at(plain(args.props), "metadata", "annotations", JWT_PATHS_ANNOTATION));
    if (guarded === UNKNOWN) return;
    const jwtPaths = (guarded ?? "").split(",").filter(Boolean);
    const gateways = at(o.spec, "gateways");
    if (!Array.isArray(gateways) || !gateways.some((g) => typeof g === "string" && g !== "mesh")) return;
    const http = at(o.spec, "http");
    if (!Array.isArray(http)) return;
    for (const route of http) {
      for (const m of Array.isArray(at(route, "match")) ? (at(route, "match") as Json[]) : []) {
        const prefix = str(at(m, "uri", "prefix"));
        const open = UNAUTHENTICATED_PATHS.find(
          (p) => prefix === p || (typeof prefix === "string" && prefix.startsWith(`${p}/`)),
        );
        if (open && !jwtPaths.includes(open)) {
          report(
            `VirtualService ${shown(o.name)} routes ${open} from the public Gateway without authentication: set ` +
              'aks-mesh:observability.prometheus.expose / alertmanager.expose to "none" or "jwt".',
          );
        }
      }
    }
  },
};

export const observabilityPolicies = [
  kialiNotAnonymous,
  grafanaNoAnonymousAdmin,
  addonResourcesSet,
  tracingSamplingWithinMax,
  monitoringNoOpenPrometheus,
];
