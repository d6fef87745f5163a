// istioctl analyze ports that read Sidecar objects (Istio 1.23.4 pkg/config/analysis/analyzers/sidecar).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { AMBIENT_LABEL, INJECTION_LABEL } from "../lib/injection";
import { REVISION_LABEL } from "../contract";
import {
  at,
  fullName,
  istioObjects,
  type KubeObject,
  kubeObjects,
  podTemplates,
  selects,
  stringMap,
  UNKNOWN,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0167 IneffectivePolicy
// ---------------------------------------------------------------------------------------------------------------

/** util.NamespaceInAmbientMode: the ambient label, unless istio-injection=enabled or a non-empty istio.io/rev wins. */
function namespaceInAmbientMode(labels: Record<string, string>): boolean {
  if (labels[INJECTION_LABEL] === "enabled") return false;
  if ((labels[REVISION_LABEL] ?? "") !== "") return false;
  return labels[AMBIENT_LABEL] === "ambient";
}

/** The annotation the Istio CNI sets on pods it redirects to ztunnel (constants.AmbientRedirection). */
const AMBIENT_REDIRECTION = "ambient.istio.io/redirection";

export const ist0167IneffectivePolicy: StackValidationPolicy & Why = {
  name: "ist0167-ineffective-policy",
  description:
    "No Sidecar object applies to a namespace or workload in ambient mode: without a sidecar it has no impact " +
    "(istioctl analyze IST0167, analyzers/sidecar/selector.go: ambient namespace label unless an injection label wins; " +
    "pods by the CNI's ambient.istio.io/redirection annotation).",
  enforcementLevel: "mandatory",
  why: "it has no effect without a sidecar",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const ambientNamespaces = new Set<string>();
    for (const ns of objects) {
      if (ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) continue;
      if (namespaceInAmbientMode(ns.labels)) ambientNamespaces.add(ns.name);
    }
    const templates = objects.flatMap(podTemplates);
    for (const sc of istioObjects(objects, "Sidecar")) {
      if (sc.namespace === UNKNOWN) continue;
      const sel = stringMap(at(sc.spec, "workloadSelector", "labels"));
      if (sel === UNKNOWN) continue;
      if (Object.keys(sel).length === 0) {
        if (ambientNamespaces.has(sc.namespace)) {
          report(
            `The policy has no impact: namespace is in ambient mode, the policy has no impact (Sidecar ${fullName(sc)}).`,
            sc.urn,
          );
        }
        continue;
      }
      const ambientPod = templates.some(
        (t) =>
          t.namespace === sc.namespace &&
          t.annotations !== UNKNOWN &&
          t.annotations[AMBIENT_REDIRECTION] === "enabled" &&
          selects(sel, t.labels) === true,
      );
      if (ambientPod) {
        report(
          `The policy has no impact: selected workload is in ambient mode, the policy has no impact (Sidecar ${fullName(sc)}).`,
          sc.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0110 ConflictingSidecarWorkloadSelectors / IST0111 MultipleSidecarsWithoutWorkloadSelectors
// ---------------------------------------------------------------------------------------------------------------

export const ist0110ConflictingSidecars: StackValidationPolicy & Why = {
  name: "ist0110-ist0111-conflicting-sidecars",
  description:
    "At most one Sidecar object applies to each workload: two whose selectors match the same workload's pods " +
    "(IST0110), or two without a selector in one namespace (IST0111), leave which one applies undefined (istioctl " +
    "analyze, analyzers/sidecar/selector.go; decided for the workloads the stack declares).",
  enforcementLevel: "mandatory",
  why: "which Sidecar applies is undefined",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const sidecars = istioObjects(objects, "Sidecar");
    if (sidecars.some((sc) => sc.namespace === UNKNOWN || sc.name === UNKNOWN)) return;
    const byNamespace = new Map<string, KubeObject[]>();
    const selected = new Map<KubeObject, { sc: KubeObject[]; ns: string; owner: KubeObject }>();
    const templates = objects.flatMap(podTemplates);
    const ambient = new Set<string>();
    for (const ns of objects) {
      if (ns.group === "" && ns.kind === "Namespace" && typeof ns.name === "string" && ns.labels !== UNKNOWN)
        if (namespaceInAmbientMode(ns.labels)) ambient.add(ns.name);
    }
    for (const sc of sidecars) {
      const sel = stringMap(at(sc.spec, "workloadSelector", "labels"));
      if (sel === UNKNOWN) return;
      if (Object.keys(sel).length === 0) {
        byNamespace.set(sc.namespace as string, [...(byNamespace.get(sc.namespace as string) ?? []), sc]);
        continue;
      }
      for (const t of templates) {
        if (t.namespace !== sc.namespace || selects(sel, t.labels) !== true) continue;
        if (t.annotations !== UNKNOWN && t.annotations[AMBIENT_REDIRECTION] === "enabled") continue; // IST0167
        const entry: { sc: KubeObject[]; ns: string; owner: KubeObject } = selected.get(t.owner) ?? {
          sc: [],
          ns: sc.namespace as string,
          owner: t.owner,
        };
        entry.sc.push(sc);
        selected.set(t.owner, entry);
      }
    }
    for (const { sc, ns, owner } of selected.values()) {
      if (sc.length < 2) continue;
      const names = sc.map((s) => String(s.name)).join(",");
      for (const s of sc) {
        report(
          `The Sidecars [${names}] in namespace ${ns} select the same workload pod "${String(owner.name)}", which can ` +
            `lead to undefined behavior (${owner.kind} ${fullName(owner)}): keep one Sidecar per workload.`,
          s.urn,
        );
      }
    }
    for (const [ns, list0] of byNamespace) {
      if (list0.length < 2 || ambient.has(ns)) continue;
      const names = list0.map((s) => String(s.name)).join(",");
      for (const s of list0) {
        report(
          `The Sidecars [${names}] in namespace ${ns} have no workload selector, which can lead to undefined behavior: ` +
            "keep one namespace-wide Sidecar.",
          s.urn,
        );
      }
    }
  },
};
