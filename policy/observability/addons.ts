// The observability layer's guardrails: the monitoring UIs never open to anonymous users in prod, every addon is sized,
// prod tracing stays cheap, and Prometheus/Alertmanager (no login of their own) are never routed without auth in prod.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  configOf,
  fullName,
  hasUnknown,
  helmRelease,
  isObject,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  namespacedRef,
  num,
  podTemplates,
  shown,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";
import { PROMETHEUS_SERVICES } from "../contract";

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

export const kialiNotAnonymous: ResourceValidationPolicy & Why = {
  name: "kiali-not-anonymous",
  description:
    "Kiali never runs with the anonymous strategy: it can edit Istio objects, and anonymous gives that to anyone who " +
    'reaches the URL. An unset or "" strategy is token on Kubernetes (kiali-server chart _helpers.tpl ' +
    '"kiali-server.auth.strategy"; Kiali docs, authentication strategies).',
  enforcementLevel: "mandatory",
  why: "Kiali can edit Istio objects; anonymous gives that to anyone who reaches the URL (unset means token)",
  validateResource: (args, report) => {
    const r = helmRelease(args.type, args.props, args.urn);
    if (!r || r.chart !== "kiali-server") return;
    const strategy = str(at(r.values, "auth", "strategy"));
    if (strategy === "anonymous") {
      report(
        `Kiali release ${args.name} uses auth strategy "anonymous": set token or openid ` +
          "(config aks-mesh:observability.kiali.auth).",
      );
    }
  },
};

export const grafanaNoAnonymousAdmin: ResourceValidationPolicy & Why = {
  name: "grafana-no-anonymous-admin",
  description:
    "Grafana's anonymous access, if enabled at all, has the Viewer role: an anonymous Editor or Admin can change " +
    "datasources and read every metric and log (Grafana docs, anonymous authentication).",
  enforcementLevel: "mandatory",
  why: "an anonymous Editor or Admin could change datasources and read every metric and log",
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

export const addonResourcesSet: ResourceValidationPolicy & Why = {
  name: "observability-addon-resources-set",
  description:
    "Every observability addon sets CPU and memory requests and limits, so one busy tool cannot starve the nodes the " +
    "mesh runs on (Kubernetes resource management; the user's cut of 70% over-provisioning).",
  enforcementLevel: "mandatory",
  why: "one busy tool must not starve the nodes the mesh runs on",
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

export const tracingSamplingWithinMax: ResourceValidationPolicy & Why = {
  name: "tracing-sampling-within-max",
  description:
    "Telemetry tracing samples no more than a configured share of requests: every traced request costs proxy CPU " +
    "and collector storage, so production samples little (Istio distributed tracing docs).",
  enforcementLevel: "advisory",
  why: "every traced request costs proxy CPU and collector storage",
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

// ---------------------------------------------------------------------------------------------------------------
// Prometheus and Alertmanager routed only behind a JWT check that really covers the route
// ---------------------------------------------------------------------------------------------------------------

/** Services of the prometheus chart (prometheus-community) that have no login of their own. */
export const UNAUTHENTICATED_SERVICES: string[] = [PROMETHEUS_SERVICES.server, PROMETHEUS_SERVICES.alertmanager];

interface MonitoringConfig {
  /** Service names (first label of a destination host) that must never be reached without a JWT. */
  protectedServices: string[];
}

/** What one HTTP route of a VirtualService matches: its hosts and each match's path condition. */
type PathMatch = { kind: "any" } | { kind: "prefix" | "exact" | "regex"; value: string };

function pathMatches(route: Json): PathMatch[] | Unknown {
  const matches = list(at(route, "match"));
  if (matches === UNKNOWN) return UNKNOWN;
  if (matches.length === 0) return [{ kind: "any" }];
  const out: PathMatch[] = [];
  for (const m of matches) {
    const uri = at(m, "uri");
    if (uri === UNKNOWN) return UNKNOWN;
    if (uri === undefined) {
      out.push({ kind: "any" });
      continue;
    }
    let found = false;
    for (const kind of ["prefix", "exact", "regex"] as const) {
      const v = str(at(uri, kind));
      if (v === UNKNOWN) return UNKNOWN;
      if (typeof v === "string") {
        out.push({ kind, value: v });
        found = true;
      }
    }
    if (!found) out.push({ kind: "any" });
  }
  return out;
}

/**
 * Whether an AuthorizationPolicy path pattern catches every path of a VirtualService match. Istio authorization paths
 * match exactly, by prefix ("/a*"), by suffix ("*.js"), or all ("*") (security/v1beta1 Operation.paths); a VirtualService
 * prefix "/a" also matches "/abc", so only "*" or a prefix pattern no longer than it covers it.
 */
export function pathPatternCovers(pattern: string, m: PathMatch): boolean {
  if (pattern === "*") return true;
  if (m.kind === "any" || m.kind === "regex") return false;
  if (pattern.endsWith("*")) return m.value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return m.kind === "exact" && m.value.endsWith(pattern.slice(1));
  return m.kind === "exact" && m.value === pattern;
}

/** Whether an Operation.hosts pattern catches a host, with or without a port (Host headers may carry one). */
function hostPatternsCover(patterns: string[], host: string): boolean {
  const matches = (p: string, h: string) => {
    const pl = p.toLowerCase();
    const hl = h.toLowerCase();
    if (pl === "*") return true;
    if (pl.startsWith("*")) return hl.endsWith(pl.slice(1));
    if (pl.endsWith("*")) return hl.startsWith(pl.slice(0, -1));
    return pl === hl;
  };
  // A wildcard host in the VirtualService stands for many: only "*" covers it.
  if (host.startsWith("*")) return patterns.includes("*");
  // Every "<host>:<port>" is covered only by "*" or a prefix pattern that stops before the port ("<host>:*").
  const everyPort = (p: string) =>
    p === "*" || (p.endsWith("*") && `${host.toLowerCase()}:`.startsWith(p.toLowerCase().slice(0, -1)));
  return patterns.some((p) => matches(p, host)) && patterns.some(everyPort);
}

/**
 * Whether a DENY rule refuses, for every host and path given, each request without a valid JWT: its `from` is absent
 * or has a source with only notRequestPrincipals ["*"], it has no `when`, and one `to` operation names only hosts and
 * paths (or nothing) that cover them.
 */
function denyRuleCovers(rule: Json, hosts: string[], paths: PathMatch[]): boolean {
  if (at(rule, "when") !== undefined) return false;
  const from = at(rule, "from");
  if (from !== undefined) {
    const ok = knownItems(from).some((f) => {
      const source = at(f, "source");
      if (!isObject(source)) return false;
      const keys = Object.keys(source);
      const np = at(source, "notRequestPrincipals");
      return keys.length === 1 && Array.isArray(np) && np.includes("*");
    });
    if (!ok) return false;
  }
  const to = at(rule, "to");
  const ops = to === undefined ? [{}] : knownItems(to).map((t) => at(t, "operation") ?? {});
  return ops.some((op) => {
    if (!isObject(op)) return false;
    if (Object.keys(op).some((k) => k !== "hosts" && k !== "paths")) return false;
    const opHosts =
      op.hosts === undefined ? ["*"] : knownItems(op.hosts).filter((h): h is string => typeof h === "string");
    const opPaths =
      op.paths === undefined ? ["*"] : knownItems(op.paths).filter((h): h is string => typeof h === "string");
    return (
      hosts.every((h) => hostPatternsCover(opHosts, h)) &&
      paths.every((m) => opPaths.some((p) => pathPatternCovers(p, m)))
    );
  });
}

/** A pod the gateway objects select: stack workloads, else the Gateway's own namespace and selector as a stand-in. */
interface GatewayPod {
  namespace: string;
  labels: Record<string, string>;
}

function gatewayPods(gw: KubeObject, objects: KubeObject[]): GatewayPod[] | Unknown {
  const sel = stringMap(at(gw.spec, "selector"));
  if (sel === UNKNOWN || gw.namespace === UNKNOWN) return UNKNOWN;
  const pods: GatewayPod[] = [];
  for (const t of objects.flatMap(podTemplates)) {
    if (t.namespace === UNKNOWN || t.labels === UNKNOWN) continue;
    if (Object.entries(sel).every(([k, v]) => (t.labels as Record<string, string>)[k] === v))
      pods.push({ namespace: t.namespace, labels: t.labels });
  }
  return pods.length > 0 ? pods : [{ namespace: gw.namespace, labels: sel }];
}

/** Whether a policy object (RequestAuthentication, AuthorizationPolicy) applies to a pod. */
function policyApplies(p: KubeObject, root: string, pod: GatewayPod): boolean {
  if (p.namespace !== root && p.namespace !== pod.namespace) return false;
  if (at(p.spec, "targetRef") !== undefined || at(p.spec, "targetRefs") !== undefined) return false;
  const sel = stringMap(at(p.spec, "selector", "matchLabels"));
  if (sel === UNKNOWN) return false;
  return Object.entries(sel).every(([k, v]) => pod.labels[k] === v);
}

export const monitoringNoOpenPrometheus: StackValidationPolicy & Why = {
  name: "monitoring-no-unauthenticated-prometheus",
  description:
    "No VirtualService on a Gateway routes to Prometheus or Alertmanager unless the gateway pods have a " +
    'RequestAuthentication and a DENY AuthorizationPolicy (notRequestPrincipals ["*"]) whose hosts and paths cover ' +
    "the whole route: prefix, exact and regex matches, every host, with and without a port. Both tools have no login " +
    'and expose every metric and silence (Prometheus security model; Istio "require JWT at ingress" task, ' +
    "AuthorizationPolicy Operation). House rule; advisory by default so dev may open them, mandatory in prod.",
  enforcementLevel: "advisory",
  why: "_house rule_: neither has a login; the JWT check must cover every host and path of the route (dev may open them)",
  configSchema: {
    properties: {
      protectedServices: {
        type: "array",
        items: { type: "string" },
        default: UNAUTHENTICATED_SERVICES,
        description: "Service names (first label of a route destination host) never reachable without a JWT.",
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf<MonitoringConfig>(args, { protectedServices: UNAUTHENTICATED_SERVICES });
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const gateways = istioObjects(objects, "Gateway");
    const ras = istioObjects(objects, "RequestAuthentication");
    const aps = istioObjects(objects, "AuthorizationPolicy");
    const undecided = [...ras, ...aps].some((p) => p.namespace === UNKNOWN || hasUnknown(p.spec) || p.spec === UNKNOWN);
    if (undecided) return;
    for (const vs of istioObjects(objects, "VirtualService")) {
      const gws = list(at(vs.spec, "gateways"));
      const hosts = list(at(vs.spec, "hosts"));
      const http = list(at(vs.spec, "http"));
      if (gws === UNKNOWN || hosts === UNKNOWN || http === UNKNOWN || vs.namespace === UNKNOWN) continue;
      if (hosts.some((h) => typeof h !== "string")) continue;
      const vsHosts = hosts as string[];
      const vsNamespace = vs.namespace;
      const bound = gws.filter((g): g is string => typeof g === "string" && g !== "mesh");
      for (const [i, route] of http.entries()) {
        const dests = knownItems(at(route, "route")).map((rd) => str(at(rd, "destination", "host")));
        if (dests.some((d) => d === UNKNOWN)) continue;
        const hit = dests.find(
          (d) => typeof d === "string" && cfg.protectedServices.includes(d.split(".")[0] ?? ""),
        ) as string | undefined;
        if (!hit) continue;
        const paths = pathMatches(route);
        if (paths === UNKNOWN) continue;
        for (const ref of bound) {
          const { namespace, name } = namespacedRef(ref, vsNamespace);
          const gw = gateways.find((g) => g.namespace === namespace && g.name === name);
          const pods = gw ? gatewayPods(gw, objects) : [];
          if (pods === UNKNOWN) continue;
          const problems: string[] = [];
          if (pods.length === 0) problems.push(`its Gateway ${ref} is not in the stack, so nothing proves a JWT check`);
          for (const pod of pods) {
            if (!ras.some((ra) => policyApplies(ra, root, pod)))
              problems.push(`no RequestAuthentication selects the gateway pods in ${pod.namespace}`);
            const covered = aps.some(
              (ap) =>
                str(at(ap.spec, "action")) === "DENY" &&
                policyApplies(ap, root, pod) &&
                knownItems(at(ap.spec, "rules")).some((rule) => denyRuleCovers(rule, vsHosts, paths)),
            );
            if (!covered)
              problems.push(
                `no DENY AuthorizationPolicy on the gateway pods in ${pod.namespace} refuses requests without a JWT ` +
                  `for every host (${vsHosts.join(", ")}, with and without a port) and path of the route`,
              );
          }
          if (problems.length === 0) continue;
          report(
            `VirtualService ${fullName(vs)} http[${i}] routes to ${hit} through Gateway ${ref} without authentication: ` +
              `${[...new Set(problems)].join("; ")}. Set that tool's aks-mesh:observability.<tool>.expose (prometheus, ` +
              'alertmanager, jaeger) to "none" or "jwt".',
            vs.urn,
          );
        }
      }
    }
  },
};
