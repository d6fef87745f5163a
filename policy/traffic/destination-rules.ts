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
  num,
  str,
  UNKNOWN,
} from "../lib";

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

/** Whether a DestinationRule's traffic policy for this destination (top level, its subset, its port) has outlier detection. */
function hasOutlierDetection(dr: KubeObject, subset: string | undefined, port: number | undefined): boolean {
  const od = (tp: Json | undefined) => at(tp, "outlierDetection") !== undefined && at(tp, "outlierDetection") !== null;
  const portLevel = (tp: Json | undefined) =>
    port !== undefined &&
    knownItems(at(tp, "portLevelSettings")).some((p) => num(at(p, "port", "number")) === port && od(p));
  const top = at(dr.spec, "trafficPolicy");
  if (od(top) || portLevel(top)) return true;
  if (subset === undefined) return false;
  const s = knownItems(at(dr.spec, "subsets")).find((x) => str(at(x, "name")) === subset);
  return s !== undefined && (od(at(s, "trafficPolicy")) || portLevel(at(s, "trafficPolicy")));
}

export const retriesRequireOutlierDetection: StackValidationPolicy & Why = {
  name: "retries-require-outlier-detection",
  description:
    'A VirtualService http route that sets retries (attempts > 0; Istio reads attempts 0 as "no retries", ' +
    "pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy) sends to hosts whose DestinationRule in the stack has " +
    "outlierDetection (top level, or the destination's subset or port). Without it every retry can land on the same " +
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
