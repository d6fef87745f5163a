// istioctl analyze ports that read Telemetry objects (Istio 1.23.4 pkg/config/analysis/analyzers/telemetry).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  shown,
  at,
  fullName,
  helmReleases,
  istioObjects,
  type KubeObject,
  kubeObjects,
  knownItems,
  list,
  podTemplates,
  selects,
  stringMap,
  UNKNOWN,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0157 InvalidTelemetryProvider, IST0159 / IST0160 Telemetry selectors
// ---------------------------------------------------------------------------------------------------------------

export const ist0157InvalidTelemetryProvider: StackValidationPolicy & Why = {
  name: "ist0157-invalid-telemetry-provider",
  description:
    "A Telemetry's enabled accessLogging entry names a provider unless meshConfig.defaultProviders.accessLogging " +
    "sets one: Istio ignores it otherwise (istioctl analyze IST0157, analyzers/telemetry/providers.go; mesh config " +
    "from the istiod release's meshConfig).",
  enforcementLevel: "mandatory",
  why: "Istio ignores the entry",
  validateStack: (args, report) => {
    for (const r of helmReleases(args.resources)) {
      if (r.chart !== "istiod") continue;
      const defaults = list(at(r.values, "meshConfig", "defaultProviders", "accessLogging"));
      if (defaults === UNKNOWN || defaults.length > 0) return;
    }
    for (const t of istioObjects(kubeObjects(args.resources), "Telemetry")) {
      for (const l of knownItems(at(t.spec, "accessLogging"))) {
        const disabled = at(l, "disabled");
        const providers = list(at(l, "providers"));
        if (disabled === UNKNOWN || providers === UNKNOWN || disabled === true) continue;
        if (providers.length === 0) {
          report(
            `The Telemetry ${shown(t.name)} in namespace "${shown(t.namespace)}" with empty providers will be ignored: ` +
              "name a provider in accessLogging[].providers or set meshConfig.defaultProviders.accessLogging.",
            t.urn,
          );
          break;
        }
      }
    }
  },
};

export const ist0159ConflictingTelemetries: StackValidationPolicy & Why = {
  name: "ist0159-ist0160-conflicting-telemetries",
  description:
    "At most one Telemetry applies to each workload: two whose selectors match the same workload's pods (IST0159), " +
    "or two without a selector in one namespace (IST0160), leave which one applies undefined (istioctl analyze, " +
    "analyzers/telemetry/selector.go and default_selector.go; decided for the workloads the stack declares).",
  enforcementLevel: "mandatory",
  why: "which Telemetry applies is undefined",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const telemetries = istioObjects(objects, "Telemetry");
    if (telemetries.some((t) => t.namespace === UNKNOWN || t.name === UNKNOWN)) return;
    const templates = objects.flatMap(podTemplates);
    const selected = new Map<KubeObject, KubeObject[]>();
    const bare = new Map<string, KubeObject[]>();
    for (const t of telemetries) {
      const selector = at(t.spec, "selector");
      if (selector === UNKNOWN) return;
      if (selector === undefined) {
        bare.set(t.namespace as string, [...(bare.get(t.namespace as string) ?? []), t]);
        continue;
      }
      const sel = stringMap(at(selector, "matchLabels"));
      if (sel === UNKNOWN) return;
      if (Object.keys(sel).length === 0) continue;
      for (const p of templates) {
        if (p.namespace !== t.namespace || selects(sel, p.labels) !== true) continue;
        selected.set(p.owner, [...(selected.get(p.owner) ?? []), t]);
      }
    }
    for (const [owner, ts] of selected) {
      if (ts.length < 2) continue;
      const names = ts.map((t) => String(t.name)).join(",");
      for (const t of ts) {
        report(
          `The Telemetries [${names}] in namespace "${shown(owner.namespace)}" select the same workload pod ` +
            `"${shown(owner.name)}", which can lead to undefined behavior (${owner.kind} ${fullName(owner)}).`,
          t.urn,
        );
      }
    }
    for (const [ns, ts] of bare) {
      if (ts.length < 2) continue;
      const names = ts.map((t) => String(t.name)).join(",");
      for (const t of ts) {
        report(
          `The Telemetries [${names}] in namespace "${ns}" have no workload selector, which can lead to undefined ` +
            "behavior: keep one namespace-wide (or, in the root namespace, mesh-wide) Telemetry.",
          t.urn,
        );
      }
    }
  },
};
