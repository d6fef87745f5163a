// Circuit-breaker rules on DestinationRules and the routes that lean on them (config aks-mesh:traffic builds the
// DestinationRules; issue-free house rules, each description names its source).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  configOf,
  fullName,
  hostFqdn,
  istioObjects,
  isIstioObject,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  num,
  str,
  UNKNOWN,
} from "../lib";
import { EXPECTED_CONCURRENCY_ANNOTATION } from "../contract";

interface CapConfig {
  maxEjectionPercent: number;
}
const CAP_DEFAULTS: CapConfig = { maxEjectionPercent: 50 };

/** Every traffic policy of a DestinationRule with where it sits: top level, its ports, each subset and its ports. */
function trafficPolicies(spec: Json | undefined): { path: string; policy: Json }[] {
  const out: { path: string; policy: Json }[] = [];
  const add = (path: string, tp: Json | undefined) => {
    if (tp === undefined || tp === null || tp === UNKNOWN) return;
    out.push({ path, policy: tp });
    knownItems(at(tp, "portLevelSettings")).forEach((pls, i) =>
      out.push({ path: `${path}.portLevelSettings[${i}]`, policy: pls }),
    );
  };
  add("trafficPolicy", at(spec, "trafficPolicy"));
  knownItems(at(spec, "subsets")).forEach((s, i) => add(`subsets[${i}].trafficPolicy`, at(s, "trafficPolicy")));
  return out;
}

export const maxEjectionPercentWithinCap: ResourceValidationPolicy & Why = {
  name: "max-ejection-percent-within-cap",
  description:
    "A DestinationRule's outlierDetection.maxEjectionPercent (top level, port level and subset level) is at most " +
    "maxEjectionPercent (default 50). Above it, one bad deploy or a shared dependency failing can eject most of a " +
    "service's hosts at once and push the whole load onto the few left (Istio OutlierDetection reference: Istio's " +
    "default is 10%; Envoy outlier detection overview).",
  enforcementLevel: "advisory",
  why: "_house rule_: a high cap lets one incident eject most hosts and overload the rest",
  configSchema: {
    properties: {
      maxEjectionPercent: {
        type: "number",
        minimum: 0,
        maximum: 100,
        default: CAP_DEFAULTS.maxEjectionPercent,
        description: "Highest outlierDetection.maxEjectionPercent a DestinationRule may set.",
      },
    },
  },
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule") return;
    const { maxEjectionPercent: cap } = configOf<CapConfig>(args, CAP_DEFAULTS);
    for (const { path, policy } of trafficPolicies(dr.spec)) {
      const pct = num(at(policy, "outlierDetection", "maxEjectionPercent"));
      if (typeof pct !== "number" || pct <= cap) continue;
      report(
        `DestinationRule ${fullName(dr)} ${path}.outlierDetection.maxEjectionPercent is ${pct}, above the cap of ${cap}: ` +
          `lower it (config aks-mesh:traffic, the service's or preset's outlierDetection.maxEjectionPercent).`,
      );
    }
  },
};

/**
 * Whether a DestinationRule ejects failing hosts of this destination, read as 1.23.4 pilot/pkg/networking/util/util.go
 * MergeSubsetTrafficPolicy does: the port's portLevelSettings entry replaces the level's outlierDetection whole (an
 * entry without one has none), and the subset's (or its port entry's) replaces the destination's. A route without a
 * port is read at the top level.
 */
function hasOutlierDetection(dr: KubeObject, subset: string | undefined, port: number | undefined): boolean {
  const destination = effectiveLevel(at(dr.spec, "trafficPolicy"), "", port).outlierDetection;
  const s =
    subset === undefined ? undefined : knownItems(at(dr.spec, "subsets")).find((x) => str(at(x, "name")) === subset);
  const subsetPolicy = at(s, "trafficPolicy");
  if (!present(subsetPolicy)) return present(destination);
  const own = effectiveLevel(subsetPolicy, "", port);
  return present(own.portLevel || present(own.outlierDetection) ? own.outlierDetection : destination);
}

export const retriesRequireOutlierDetection: StackValidationPolicy & Why = {
  name: "retries-require-outlier-detection",
  description:
    'A VirtualService http route that sets retries (attempts > 0; Istio reads attempts 0 as "no retries", ' +
    "pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy) sends to hosts whose DestinationRule in the stack has " +
    "outlierDetection for that port and subset (read as util.go MergeSubsetTrafficPolicy: a port's portLevelSettings " +
    "entry replaces the top level's outlierDetection, a subset's the destination's). Without it every retry can land on the same " +
    "failing host, multiplying its load: a retry storm (Istio traffic management docs, circuit breaking).",
  enforcementLevel: "advisory",
  why: "_house rule_: retries without ejection keep hitting the failing host: a retry storm",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const all = istioObjects(objects, "DestinationRule");
    const rules = all.filter((dr) => typeof dr.namespace === "string" && typeof str(at(dr.spec, "host")) === "string");
    // A DestinationRule whose host or namespace is not known yet (preview) may be the one: nothing to decide.
    if (rules.length < all.length) return;
    for (const vs of istioObjects(objects, "VirtualService")) {
      if (typeof vs.namespace !== "string") continue;
      const vsNamespace = vs.namespace;
      knownItems(at(vs.spec, "http")).forEach((rule, i) => {
        const attempts = num(at(rule, "retries", "attempts"));
        if (typeof attempts !== "number" || attempts <= 0) return;
        knownItems(at(rule, "route")).forEach((rd, j) => {
          const host = str(at(rd, "destination", "host"));
          const subset = str(at(rd, "destination", "subset"));
          const port = num(at(rd, "destination", "port", "number"));
          if (typeof host !== "string" || subset === UNKNOWN || port === UNKNOWN) return;
          const fqdn = hostFqdn(host, vsNamespace);
          const matching = rules.filter(
            (dr) => hostFqdn(String(str(at(dr.spec, "host"))), String(dr.namespace)) === fqdn,
          );
          if (matching.some((dr) => hasOutlierDetection(dr, subset, port))) return;
          report(
            `VirtualService ${fullName(vs)} http[${i}].route[${j}] retries ${attempts} times to ${fqdn}, which has no ` +
              "DestinationRule with outlierDetection in the stack: retries keep landing on a failing host. Give the " +
              "service an outlierDetection (config aks-mesh:traffic.services.<service>) or drop the retries.",
            vs.urn,
          );
        });
      });
    }
  },
};

/** The fields a traffic policy level sets that Istio resolves per port and subset (networking/util MergeSubsetTrafficPolicy). */
interface Level {
  outlierDetection: Json | undefined;
  loadBalancer: Json | undefined;
  path: string;
}
const present = (v: Json | undefined) => v !== undefined && v !== null;

/**
 * The policy Istio applies to one port of one subset, as 1.23.4 pilot/pkg/networking/util/util.go reads it: a matching
 * portLevelSettings entry replaces the level's fields whole (port level settings "do not inherit" the top level); a
 * subset's field replaces the destination's when set, and all of them when the subset has a matching port entry.
 */
function effectiveLevel(tp: Json | undefined, path: string, port: number | undefined): Level & { portLevel: boolean } {
  const entries = knownItems(at(tp, "portLevelSettings"));
  const i = port === undefined ? -1 : entries.findIndex((p) => num(at(p, "port", "number")) === port);
  const src = i >= 0 ? entries[i] : tp;
  return {
    outlierDetection: at(src, "outlierDetection"),
    loadBalancer: at(src, "loadBalancer"),
    path: i >= 0 ? `${path}.portLevelSettings[${i}]` : path,
    portLevel: i >= 0,
  };
}

/** Whether a localityLbSetting makes Istio fail over (loadbalancer.go ApplyLocalityLoadBalancer): distribute does not. */
function failsOver(setting: Json | undefined): boolean {
  if (!present(setting) || setting === UNKNOWN) return false;
  const distribute = list(at(setting, "distribute"));
  const enabled = at(setting, "enabled");
  // Unknown in preview: cannot decide.
  if (distribute === UNKNOWN || distribute.length > 0 || enabled === UNKNOWN) return false;
  return enabled !== false;
}

export const localityLbRequiresOutlierDetection: ResourceValidationPolicy & Why = {
  name: "locality-lb-requires-outlier-detection",
  description:
    "Wherever a DestinationRule's localityLbSetting fails over (failover, failoverPriority or the default failover; " +
    "distribute works alone), the policy Istio applies to that port and subset has outlierDetection. Istio fails " +
    "over only when it ejects the failing hosts (1.23.4 pilot/pkg/networking/core/cluster_traffic_policy.go " +
    'applyLocalityLoadBalancer: "Failover should only be applied with outlier detection"; loadbalancer.go ' +
    "ApplyLocalityLoadBalancer). Read per port and subset as util.go MergeSubsetTrafficPolicy does: a portLevelSettings " +
    "entry does not inherit the top level's outlierDetection; a subset inherits the destination's.",
  enforcementLevel: "advisory",
  why: "without ejection Istio never fails over: the locality setting does nothing when a zone fails",
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule") return;
    const top = at(dr.spec, "trafficPolicy");
    const subsets = knownItems(at(dr.spec, "subsets"));
    const ports = new Set<number | undefined>([undefined]);
    const levels: (Json | undefined)[] = [top, ...subsets.map((s) => at(s, "trafficPolicy"))];
    for (const tp of levels) {
      const entries = list(at(tp, "portLevelSettings"));
      // Which port an entry overrides decides what Istio applies there: unknown in preview, nothing is decided.
      if (entries === UNKNOWN) return;
      for (const p of entries) {
        const n = num(at(p, "port", "number"));
        if (n === UNKNOWN) return;
        if (typeof n === "number") ports.add(n);
      }
    }
    const reported = new Set<string>();
    const check = (where: string, lb: Level, od: Level) => {
      if (!failsOver(at(lb.loadBalancer, "localityLbSetting")) || present(od.outlierDetection)) return;
      const key = `${lb.path}|${od.path}`;
      if (reported.has(key)) return;
      reported.add(key);
      report(
        `DestinationRule ${fullName(dr)} ${lb.path}.loadBalancer.localityLbSetting fails over with no outlierDetection ` +
          `to act on ${where} (Istio reads ${od.path}): add one there (config ` +
          "aks-mesh:traffic.services.<service>.outlierDetection, or .ports.<port>.outlierDetection) or drop the setting.",
      );
    };
    for (const port of ports) {
      const base = effectiveLevel(top, "trafficPolicy", port);
      const on = port === undefined ? "" : ` port ${port}`;
      check(port === undefined ? "(all ports)" : `for${on}`, base, base);
      subsets.forEach((s, j) => {
        const own = effectiveLevel(at(s, "trafficPolicy"), `subsets[${j}].trafficPolicy`, port);
        const pick = (key: "outlierDetection" | "loadBalancer"): Level =>
          own.portLevel || present(own[key]) ? own : base;
        const name = str(at(s, "name"));
        check(`for subset ${typeof name === "string" ? name : j}${on}`, pick("loadBalancer"), pick("outlierDetection"));
      });
    }
  },
};

export const connectionPoolCoversExpectedLoad: ResourceValidationPolicy & Why = {
  name: "connection-pool-covers-expected-load",
  description:
    "When a service declares its expected load (replicas x expectedConcurrency, annotation " +
    `${EXPECTED_CONCURRENCY_ANNOTATION}), its DestinationRule's connectionPool.http.http2MaxRequests and ` +
    "connectionPool.tcp.maxConnections are not below it: below, Envoy's circuit breaker answers 503 (overflow) under " +
    "the normal load (Istio circuit-breaking task; Envoy circuit breaking overview).",
  enforcementLevel: "advisory",
  why: "_house rule_: a pool below the normal load trips the breaker every day",
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule" || dr.annotations === UNKNOWN) return;
    const expected = Number(dr.annotations[EXPECTED_CONCURRENCY_ANNOTATION]);
    if (!Number.isFinite(expected) || expected <= 0) return;
    const pool = at(dr.spec, "trafficPolicy", "connectionPool");
    for (const field of ["http.http2MaxRequests", "tcp.maxConnections"]) {
      const limit = num(at(pool, ...field.split(".")));
      if (typeof limit !== "number" || limit >= expected) continue;
      report(
        `DestinationRule ${fullName(dr)} connectionPool.${field} is ${limit}, below the ${expected} concurrent ` +
          "requests its service is expected to take (replicas x expectedConcurrency): raise it (config " +
          `aks-mesh:traffic.services.<service>.connectionPool.${field}) or lower the expectation.`,
      );
    }
  },
};
