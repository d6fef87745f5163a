// istioctl analyze ports that read sidecar injection: Namespace labels and the injector webhooks the stack installs
// (Istio 1.23.4 pkg/config/analysis/analyzers/injection).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  AMBIENT_LABEL,
  declaredNamespaces,
  gatewayNamespaces,
  INJECTION_LABEL,
  installedInjectors,
  matchingWebhook,
} from "../lib/injection";
import { REVISION_LABEL } from "../contract";
import {
  at,
  configOf,
  fullName,
  helmReleases,
  ISTIO_SYSTEM,
  kubeObject,
  kubeObjects,
  list,
  podTemplates,
  str,
  UNKNOWN,
  type Unknown,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0102 NamespaceNotInjected
// ---------------------------------------------------------------------------------------------------------------

interface NamespaceConfig {
  /** Namespaces the check leaves alone, as `istioctl analyze --suppress` would (istio-system always is). */
  excludedNamespaces: string[];
}

export const ist0102NamespaceNotInjected: StackValidationPolicy & Why = {
  name: "ist0102-namespace-not-injected",
  description:
    "Every namespace the stack declares says whether it gets sidecars: a non-empty istio-injection label or an " +
    "istio.io/rev label (istio-injection=disabled to opt out); otherwise its pods silently run outside the mesh. As " +
    "analyze: istio-system and ambient namespaces are skipped; gateway namespaces the stack runs are too (istioctl " +
    "analyze IST0102, analyzers/injection/injection.go).",
  enforcementLevel: "advisory",
  why: "its pods would run outside the mesh; Info upstream, advisory here",
  configSchema: {
    properties: {
      excludedNamespaces: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Namespaces not checked (istio-system and the stack's gateway namespaces never are).",
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf<NamespaceConfig>(args, { excludedNamespaces: [] });
    const objects = kubeObjects(args.resources);
    const gateways = gatewayNamespaces(args.resources, objects);
    const byDefault = injectsByDefault(args.resources);
    for (const ns of objects) {
      if (ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) continue;
      // A patch of an existing namespace only shows the labels it sets: the namespace may already carry one.
      if (ns.isPatch) continue;
      if (ns.name === ISTIO_SYSTEM || cfg.excludedNamespaces.includes(ns.name) || gateways.has(ns.name)) continue;
      const l = ns.labels;
      if (l[AMBIENT_LABEL] === "ambient") continue;
      if ((l[INJECTION_LABEL] ?? "") !== "" || l[REVISION_LABEL] !== undefined) continue;
      // With enableNamespacesByDefault analyze reports IST0148 (informational) instead: the namespace is injected.
      if (byDefault !== false) continue;
      report(
        `The namespace is not enabled for Istio injection. Label namespace ${ns.name} with istio.io/rev=<revision> ` +
          `(config aks-mesh:meshNamespaces) or istio-injection=enabled, or istio-injection=disabled to mark it as not needing injection.`,
        ns.urn,
      );
    }
  },
};

/** sidecarInjectorWebhook.enableNamespacesByDefault of the default-revision istiod (the configmap IST0102 reads). */
function injectsByDefault(resources: Parameters<typeof helmReleases>[0]): boolean | Unknown {
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const rev = str(at(r.values, "revision"));
    const v = at(r.values, "sidecarInjectorWebhook", "enableNamespacesByDefault");
    if (rev === UNKNOWN || v === UNKNOWN) return UNKNOWN;
    if ((rev ?? "") === "" && v === true) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// IST0123 NamespaceMultipleInjectionLabels
// ---------------------------------------------------------------------------------------------------------------

export const ist0123NamespaceMultipleInjectionLabels: ResourceValidationPolicy & Why = {
  name: "ist0123-namespace-multiple-injection-labels",
  description:
    "A namespace carries one kind of injection label: istio-injection (any value) next to istio.io/rev or " +
    "istio.io/dataplane-mode makes the legacy label win silently (istioctl analyze IST0123, " +
    "analyzers/injection/injection.go; the istiod chart's webhooks give istio-injection precedence).",
  enforcementLevel: "mandatory",
  why: "`istio-injection` silently wins over `istio.io/rev`",
  validateResource: (args, report) => {
    const ns = kubeObject(args.type, args.props, args.urn);
    if (!ns || ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) return;
    if (ns.name === ISTIO_SYSTEM) return;
    const l = ns.labels;
    const legacy = l[INJECTION_LABEL];
    const found: string[] = legacy !== undefined ? [`${INJECTION_LABEL}=${legacy}`] : [];
    for (const key of [REVISION_LABEL, AMBIENT_LABEL]) {
      if (l[key] !== undefined && (legacy === undefined || legacy === "enabled")) found.push(`${key}=${l[key]}`);
    }
    if (found.length > 1) {
      report(
        `The namespace has more than one type of injection labels: ${found.join(", ")} (namespace ${ns.name}). Keep ` +
          `one: ${REVISION_LABEL}=<revision> (config aks-mesh:meshNamespaces).`,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0146 ImageAutoWithoutInjectionWarning
// ---------------------------------------------------------------------------------------------------------------

export const ist0146ImageAutoWithoutInjection: StackValidationPolicy & Why = {
  name: "ist0146-image-auto-without-injection",
  description:
    "A Deployment whose istio-proxy container has `image: auto` (a gateway deployed by hand) matches an injection " +
    'webhook the stack installs: otherwise the pod starts with the literal image "auto" and fails to pull ' +
    "(istioctl analyze IST0146, analyzers/injection/image-auto.go; webhooks as the istiod chart renders them).",
  enforcementLevel: "mandatory",
  why: "the pod would start with the literal image `auto`",
  validateStack: (args, report) => {
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    for (const d of objects) {
      if (d.kind !== "Deployment" || d.group !== "apps" || d.isPatch) continue;
      for (const t of podTemplates(d)) {
        if (t.namespace === UNKNOWN || t.labels === UNKNOWN) continue;
        const containers = list(at(t.spec, "containers"));
        if (containers === UNKNOWN) continue;
        const auto = containers.some((c) => str(at(c, "name")) === "istio-proxy" && str(at(c, "image")) === "auto");
        if (!auto) continue;
        // Only a namespace the stack declares in full has known labels; a patch shows only what it sets.
        const ns = namespaces.get(t.namespace);
        if (!ns || ns.partial) continue;
        if (matchingWebhook(inj, ns.labels, { namespace: t.namespace, labels: t.labels })) continue;
        report(
          `Deployment ${String(d.name)} contains \`image: auto\` but does not match any Istio injection webhook ` +
            `selectors (Deployment ${fullName(d)}; the stack installs ${inj.revisions.map((r) => `"${r}"`).join(", ")}): ` +
            `label its pods ${REVISION_LABEL}=${inj.revisions[0] ?? "<revision>"}.`,
          d.urn,
        );
      }
    }
  },
};
