// Injection rules of Kyverno's policy library (kyverno/policies, istio/) and of the GKE Policy Controller's
// Anthos Service Mesh bundle (GoogleCloudPlatform/gke-policy-library, bundles/asm-policy-v0.0.1), as preview-time
// checks of the namespaces and pods the stack declares. Each policy is named after the check it ports.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  declaredNamespaces,
  gatewayNamespaces,
  INJECTION_LABEL,
  type Injectors,
  installedInjectors,
  isDeclaredOutsideMesh,
  podInjected,
} from "../lib/injection";
import { REVISION_LABEL, SIDECAR_INJECT } from "../contract";
import {
  configOf,
  fullName,
  helmRelease,
  isObject,
  type Json,
  kubeObject,
  kubeObjects,
  podTemplates,
  UNKNOWN,
} from "../lib";

/** Namespaces the injection checks leave alone by default (GKE asm-sidecar-injection excludes these and a few GKE ones). */
export const SYSTEM_NAMESPACES = ["istio-system", "kube-system", "kube-public", "kube-node-lease"];

interface ExcludedConfig {
  excludedNamespaces: string[];
}

const excludedNamespacesSchema = {
  type: "array" as const,
  items: { type: "string" as const },
  default: SYSTEM_NAMESPACES,
  description:
    "Namespaces the check leaves alone. Gateway namespaces and namespaces labelled istio-injection=disabled are " +
    "left alone without being listed.",
};

/** Why a namespace's plain pods get no sidecar from what the stack installs, in one clause. */
function whyNotInjected(labels: Record<string, string>, inj: Injectors): string {
  const installed = `the stack installs (${inj.revisions.map((r) => `"${r}"`).join(", ") || "none"})`;
  const legacy = labels[INJECTION_LABEL];
  const rev = labels[REVISION_LABEL];
  if (legacy !== undefined && legacy !== "enabled") return `${INJECTION_LABEL}=${legacy} turns injection off`;
  if (legacy === "enabled") {
    const overrides = rev !== undefined ? ` (and it overrides ${REVISION_LABEL}=${rev})` : "";
    return (
      `${INJECTION_LABEL}=enabled injects only with the default revision or a "default" revision tag, and ` +
      `${installed}${overrides}`
    );
  }
  if (rev !== undefined) return `${REVISION_LABEL}=${rev} names no revision or tag ${installed}`;
  return "it has neither istio.io/rev nor istio-injection";
}

export const enforceSidecarInjectionNamespace: StackValidationPolicy & Why = {
  name: "enforce-sidecar-injection-namespace",
  description:
    "Every namespace the stack creates or labels makes the injectors the stack installs inject its pods (istio.io/rev " +
    "naming an installed revision or tag; istio-injection=enabled only with a default revision or tag), so no " +
    "workload lands outside the mesh. House rule after Kyverno enforce-sidecar-injection-namespace, decided as the " +
    "istiod 1.23.4 chart's webhooks select (templates/mutatingwebhook.yaml, revision-tags.yaml).",
  enforcementLevel: "mandatory",
  why: "_house rule_: no workload lands outside the mesh by accident; `istio-injection=enabled` injects only with a default revision or tag",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema } },
  validateStack: (args, report) => {
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const cfg = configOf<ExcludedConfig>(args, { excludedNamespaces: SYSTEM_NAMESPACES });
    const gateways = gatewayNamespaces(args.resources, objects);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    for (const [name, ns] of namespaces) {
      if (cfg.excludedNamespaces.includes(name) || gateways.has(name) || isDeclaredOutsideMesh(ns.labels)) continue;
      // A patch only shows the labels it sets: without injection labels it says nothing about the namespace.
      if (ns.partial && ns.labels[INJECTION_LABEL] === undefined && ns.labels[REVISION_LABEL] === undefined) continue;
      if (podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} })) continue;
      report(
        `Namespace ${name} would get no sidecars: ${whyNotInjected(ns.labels, inj)}. Label it ` +
          `${REVISION_LABEL}=${inj.revisions[0] ?? "<revision>"} (config aks-mesh:meshNamespaces), or label it ` +
          `${INJECTION_LABEL}=disabled to declare it outside the mesh.`,
        ns.object.urn,
      );
    }
  },
};

/** A workload (or values of a chart) the check exempts, with the reason it runs without a sidecar. */
export interface InjectionExemption {
  /** Helm chart name and the values path of the labels/annotations map that opts out ("server.podLabels"). */
  chart?: string;
  path?: string;
  /** Or a workload the stack declares: kind, name and (optionally) namespace. */
  kind?: string;
  name?: string;
  namespace?: string;
  /** Why it must run outside the mesh. Required. */
  reason: string;
}

/**
 * The observability charts' pods that opt out through values (components/observability/mesh.ts says why), exempt by
 * default. A stack's policy file that sets `exemptions` replaces this list.
 */
export const OBSERVABILITY_EXEMPTIONS: InjectionExemption[] = [
  {
    chart: "prometheus",
    path: "server.podLabels",
    reason:
      "Prometheus scrapes every sidecar's merged metrics on plain-text port 15020; a sidecar would intercept them.",
  },
  {
    chart: "prometheus",
    path: "alertmanager.podLabels",
    reason: "Alertmanager runs beside Prometheus, outside the mesh, so alerts still go out when the mesh is broken.",
  },
  {
    chart: "prometheus",
    path: "kube-state-metrics.podLabels",
    reason: "kube-state-metrics is scraped by Prometheus in plain text, outside the mesh like Prometheus itself.",
  },
  {
    chart: "prometheus",
    path: "prometheus-node-exporter.podLabels",
    reason: "node-exporter runs on the host network, where sidecar injection does not apply.",
  },
  {
    chart: "jaeger",
    path: "jaeger.podLabels",
    reason: "A sidecar on Jaeger would trace the span uploads it receives, feeding its own traffic back into itself.",
  },
  {
    chart: "loki",
    path: "defaults.podLabels",
    reason: "The log pipeline must keep working when the mesh is what is broken.",
  },
  {
    chart: "alloy",
    path: "controller.podLabels",
    reason: "The log pipeline must keep working when the mesh is what is broken.",
  },
];

interface ExemptionConfig extends ExcludedConfig {
  exemptions: InjectionExemption[];
}

/** Whether a sidecar.istio.io/inject value turns injection off (inject.go injectRequired: not y/yes/true/on, not ""). */
export function disablesInjection(v: string): boolean {
  return v !== "" && !["y", "yes", "true", "on"].includes(v.toLowerCase());
}

/** Every map in a values tree that sets sidecar.istio.io/inject, with its path ("server.podLabels"). */
function injectionOptOuts(values: Json | undefined, path: string[] = []): { path: string; value: string }[] {
  if (Array.isArray(values)) return values.flatMap((v, i) => injectionOptOuts(v, [...path, String(i)]));
  if (!isObject(values)) return [];
  const out: { path: string; value: string }[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (k === SIDECAR_INJECT && typeof v === "string" && disablesInjection(v))
      out.push({ path: path.join("."), value: v });
    else out.push(...injectionOptOuts(v, [...path, k]));
  }
  return out;
}

const exemptionsSchema = {
  type: "array" as const,
  default: OBSERVABILITY_EXEMPTIONS,
  description:
    "Workloads allowed to run without a sidecar, each with its reason: {chart, path, reason} for a Helm chart's " +
    "values (path of the labels map, e.g. server.podLabels), {kind, name, namespace?, reason} for a workload.",
  items: {
    type: "object" as const,
    required: ["reason"],
    additionalProperties: false,
    properties: {
      chart: { type: "string" as const },
      path: { type: "string" as const },
      kind: { type: "string" as const },
      name: { type: "string" as const },
      namespace: { type: "string" as const },
      reason: { type: "string" as const, minLength: 10 },
    },
  },
};

export const preventDisablingInjectionPods: ResourceValidationPolicy & Why = {
  name: "prevent-disabling-injection-pods",
  description:
    "No workload opts out of sidecar injection (sidecar.istio.io/inject set to anything but y/yes/true/on, on the " +
    "pod or in a Helm release's values) unless listed in exemptions with its reason: pods without a sidecar bypass " +
    "mTLS and authorization, and cannot be observed (Kyverno prevent-disabling-injection-pods; GKE asm-sidecar-injection; " +
    "values as Istio reads them, pkg/kube/inject/inject.go injectRequired).",
  enforcementLevel: "mandatory",
  why: "_house rule_: pods without a sidecar bypass mTLS, authorization and telemetry; exemptions carry their reason",
  configSchema: { properties: { excludedNamespaces: excludedNamespacesSchema, exemptions: exemptionsSchema } },
  validateResource: (args, report) => {
    const cfg = configOf<ExemptionConfig>(args, {
      excludedNamespaces: SYSTEM_NAMESPACES,
      exemptions: OBSERVABILITY_EXEMPTIONS,
    });
    const release = helmRelease(args.type, args.props, args.urn);
    if (release) {
      if (typeof release.chart !== "string") return;
      if (typeof release.namespace === "string" && cfg.excludedNamespaces.includes(release.namespace)) return;
      for (const o of injectionOptOuts(release.values)) {
        if (cfg.exemptions.some((e) => e.chart === release.chart && e.path === o.path && (e.reason ?? "") !== ""))
          continue;
        report(
          `Helm release ${args.name} (chart ${release.chart}) turns sidecar injection off at values.${o.path} ` +
            `(sidecar.istio.io/inject="${o.value}"): remove it, or list {chart: "${release.chart}", path: "${o.path}", ` +
            "reason} in this policy's exemptions.",
        );
      }
      return;
    }
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    for (const t of podTemplates(obj)) {
      if (t.namespace === UNKNOWN || cfg.excludedNamespaces.includes(t.namespace)) continue;
      const exempt = cfg.exemptions.some(
        (e) =>
          e.kind === obj.kind &&
          e.name === obj.name &&
          (e.namespace === undefined || e.namespace === t.namespace) &&
          (e.reason ?? "") !== "",
      );
      if (exempt) continue;
      for (const [where, map] of [
        ["annotation", t.annotations],
        ["label", t.labels],
      ] as const) {
        if (map === UNKNOWN) continue;
        const v = map[SIDECAR_INJECT];
        if (v !== undefined && disablesInjection(v)) {
          report(
            `${obj.kind} ${fullName(obj)} disables sidecar injection with the pod ${where} sidecar.istio.io/inject="${v}": ` +
              `remove it, or list {kind: "${obj.kind}", name: "${String(obj.name)}", reason} in this policy's exemptions.`,
          );
        }
      }
    }
  },
};
