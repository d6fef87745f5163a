// Sidecar injection exactly as Istio 1.23.4 decides it, from what the stack installs:
// - the istiod chart renders the injector's MutatingWebhookConfiguration
//   (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml): with `revision` set, only the
//   `rev.namespace.` (namespace istio.io/rev=<revision>, no istio-injection label) and `rev.object.` (pod
//   istio.io/rev=<revision> in a namespace with neither label) webhooks; the legacy `namespace.`/`object.` webhooks
//   (istio-injection=enabled, pod sidecar.istio.io/inject=true) only for the default revision ("");
// - each `revisionTags` entry renders the same pair for the tag, plus the legacy pair for the tag "default"
//   (templates/revision-tags.yaml); `sidecarInjectorWebhook.enableNamespacesByDefault` adds the `auto.` webhook;
// - the base chart's `defaultRevision` renders only the `istiod-default-validator` ValidatingWebhookConfiguration
//   (manifests/charts/base/templates/default.yaml): it injects nothing;
// - once a webhook calls the injector, pkg/kube/inject/inject.go injectRequired skips host-network pods and
//   kube-system/kube-public/kube-node-lease/local-path-storage (initializer.go IgnoredNamespaces), then reads the pod
//   label sidecar.istio.io/inject (over the annotation): y/yes/true/on inject, "" follows global.proxy.autoInject,
//   anything else does not.
// MutatingWebhookConfigurations the stack declares itself (a revision tag made outside the chart) count too.
import type { PolicyResource } from "@pulumi/policy";
import {
  at,
  helmReleases,
  type Json,
  type KubeObject,
  kubeObjects,
  list,
  podTemplates,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "./index";
import { INJECT_TEMPLATES_ANNOTATION, REVISION_LABEL, SIDECAR_INJECT } from "../contract";

export const INJECTION_LABEL = "istio-injection";
export const AMBIENT_LABEL = "istio.io/dataplane-mode";

/** Namespaces the injector never injects (pkg/kube/inject/initializer.go IgnoredNamespaces). */
export const INJECTOR_IGNORED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

/** One requirement of a Kubernetes label selector. */
export interface Requirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
}

/** A webhook that sends pod creations to a sidecar injector. */
export interface InjectorWebhook {
  /** Where it comes from, for messages: "istiod revision 1-23-4", "revision tag prod", a webhook object. */
  source: string;
  namespaceSelector: Requirement[];
  objectSelector: Requirement[];
}

/** What the stack installs for injection. */
export interface Injectors {
  webhooks: InjectorWebhook[];
  /** Revisions and tags a namespace may name in istio.io/rev. */
  revisions: string[];
  /** Whether the legacy istio-injection=enabled label injects (default revision, or a "default" tag). */
  legacyLabel: boolean;
  /** global.proxy.autoInject of the injectors ("enabled" unless set). */
  autoInject: "enabled" | "disabled";
}

const req = (key: string, operator: Requirement["operator"], ...values: string[]): Requirement => ({
  key,
  operator,
  values,
});

/** The webhooks one revision (or tag) renders, as the 1.23.4 templates do. */
function revisionWebhooks(name: string, source: string, legacy: boolean, byDefault: boolean): InjectorWebhook[] {
  const notDisabled = req(SIDECAR_INJECT, "NotIn", "false");
  const out: InjectorWebhook[] = [
    {
      source,
      namespaceSelector: [req(REVISION_LABEL, "In", name), req(INJECTION_LABEL, "DoesNotExist")],
      objectSelector: [notDisabled],
    },
    {
      source,
      namespaceSelector: [req(REVISION_LABEL, "DoesNotExist"), req(INJECTION_LABEL, "DoesNotExist")],
      objectSelector: [notDisabled, req(REVISION_LABEL, "In", name)],
    },
  ];
  if (legacy) {
    out.push(
      { source, namespaceSelector: [req(INJECTION_LABEL, "In", "enabled")], objectSelector: [notDisabled] },
      {
        source,
        namespaceSelector: [req(INJECTION_LABEL, "DoesNotExist"), req(REVISION_LABEL, "DoesNotExist")],
        objectSelector: [req(SIDECAR_INJECT, "In", "true"), req(REVISION_LABEL, "DoesNotExist")],
      },
    );
    if (byDefault) {
      out.push({
        source,
        namespaceSelector: [
          req(INJECTION_LABEL, "DoesNotExist"),
          req(REVISION_LABEL, "DoesNotExist"),
          req("kubernetes.io/metadata.name", "NotIn", ...INJECTOR_IGNORED_NAMESPACES),
        ],
        objectSelector: [req(SIDECAR_INJECT, "DoesNotExist"), req(REVISION_LABEL, "DoesNotExist")],
      });
    }
  }
  return out;
}

/** A Kubernetes LabelSelector (matchLabels + matchExpressions) as requirements; UNKNOWN when not known yet. */
export function selectorRequirements(sel: Json | undefined): Requirement[] | Unknown {
  if (sel === UNKNOWN) return UNKNOWN;
  const out: Requirement[] = [];
  const ml = stringMap(at(sel, "matchLabels"));
  if (ml === UNKNOWN) return UNKNOWN;
  for (const [k, v] of Object.entries(ml)) out.push(req(k, "In", v));
  const exprs = list(at(sel, "matchExpressions"));
  if (exprs === UNKNOWN) return UNKNOWN;
  for (const e of exprs) {
    const key = str(at(e, "key"));
    const op = str(at(e, "operator"));
    const values = list(at(e, "values"));
    if (key === UNKNOWN || op === UNKNOWN || values === UNKNOWN || values.some((v) => v === UNKNOWN)) return UNKNOWN;
    if (typeof key !== "string" || (op !== "In" && op !== "NotIn" && op !== "Exists" && op !== "DoesNotExist"))
      continue;
    out.push(req(key, op, ...values.filter((v): v is string => typeof v === "string")));
  }
  return out;
}

/** Whether labels satisfy every requirement (an empty selector selects everything, as for webhooks). */
export function satisfies(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const v = labels[r.key];
    switch (r.operator) {
      case "In":
        return v !== undefined && r.values.includes(v);
      case "NotIn":
        return v === undefined || !r.values.includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
    }
  });
}

/**
 * The injectors the stack installs: istiod releases (revision, revisionTags, enableNamespacesByDefault) and
 * injector webhook objects. undefined when it installs none (nothing to decide against); UNKNOWN when a value that
 * decides it is not known yet.
 */
export function installedInjectors(resources: PolicyResource[]): Injectors | Unknown | undefined {
  const webhooks: InjectorWebhook[] = [];
  const revisions: string[] = [];
  let legacyLabel = false;
  let autoInject: Injectors["autoInject"] = "enabled";
  let found = false;
  for (const r of helmReleases(resources)) {
    if (r.chart === UNKNOWN) return UNKNOWN;
    if (r.chart !== "istiod") continue;
    found = true;
    const v = r.values;
    if (v === UNKNOWN) return UNKNOWN;
    const managed = at(v, "global", "operatorManageWebhooks");
    if (managed === UNKNOWN) return UNKNOWN;
    if (managed === true) continue;
    const revision = str(at(v, "revision"));
    const tags = list(at(v, "revisionTags"));
    const byDefault = at(v, "sidecarInjectorWebhook", "enableNamespacesByDefault");
    const auto = str(at(v, "global", "proxy", "autoInject"));
    if (revision === UNKNOWN || tags === UNKNOWN || tags.some((t) => t === UNKNOWN)) return UNKNOWN;
    if (byDefault === UNKNOWN || auto === UNKNOWN) return UNKNOWN;
    if (auto === "disabled") autoInject = "disabled";
    const rev = revision ?? "";
    const name = rev === "" ? "default" : rev;
    revisions.push(name);
    webhooks.push(...revisionWebhooks(name, `istiod revision "${name}"`, rev === "", byDefault === true));
    if (rev === "") legacyLabel = true;
    for (const t of tags) {
      if (typeof t !== "string") continue;
      revisions.push(t);
      webhooks.push(...revisionWebhooks(t, `revision tag "${t}"`, t === "default", byDefault === true));
      if (t === "default") legacyLabel = true;
    }
  }
  for (const o of kubeObjects(resources)) {
    if (o.kind !== "MutatingWebhookConfiguration" || o.group !== "admissionregistration.k8s.io") continue;
    const hooks = list(at(o.body, "webhooks"));
    if (hooks === UNKNOWN) return UNKNOWN;
    for (const h of hooks) {
      const name = str(at(h, "name"));
      if (name === UNKNOWN) return UNKNOWN;
      if (typeof name !== "string" || !name.endsWith("sidecar-injector.istio.io")) continue;
      const ns = selectorRequirements(at(h, "namespaceSelector"));
      const obj = selectorRequirements(at(h, "objectSelector"));
      if (ns === UNKNOWN || obj === UNKNOWN) return UNKNOWN;
      found = true;
      webhooks.push({ source: `webhook ${String(o.name)}/${name}`, namespaceSelector: ns, objectSelector: obj });
      for (const r of ns.concat(obj)) {
        if (r.key === REVISION_LABEL && r.operator === "In") revisions.push(...r.values);
        if (r.key === INJECTION_LABEL && r.operator === "In" && r.values.includes("enabled")) legacyLabel = true;
      }
    }
  }
  if (!found) return undefined;
  return { webhooks, revisions: [...new Set(revisions)], legacyLabel, autoInject };
}

/** A pod as the injector sees it. */
export interface PodView {
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork?: boolean;
}

/** The webhook that would send this pod to an injector, or undefined when none would. */
export function matchingWebhook(
  inj: Injectors,
  namespaceLabels: Record<string, string>,
  pod: Pick<PodView, "namespace" | "labels">,
): InjectorWebhook | undefined {
  // The API server adds kubernetes.io/metadata.name to every namespace (since Kubernetes 1.21).
  const nsLabels = { ...namespaceLabels, "kubernetes.io/metadata.name": pod.namespace };
  return inj.webhooks.find((w) => satisfies(w.namespaceSelector, nsLabels) && satisfies(w.objectSelector, pod.labels));
}

/** Whether a pod gets a sidecar: a webhook sends it to an injector, and injectRequired says yes. */
export function podInjected(inj: Injectors, namespaceLabels: Record<string, string>, pod: PodView): boolean {
  if (!matchingWebhook(inj, namespaceLabels, pod)) return false;
  if (pod.hostNetwork === true || INJECTOR_IGNORED_NAMESPACES.includes(pod.namespace)) return false;
  const value = (pod.labels[SIDECAR_INJECT] ?? pod.annotations[SIDECAR_INJECT] ?? "").toLowerCase();
  if (["y", "yes", "true", "on"].includes(value)) return true;
  if (value === "") return inj.autoInject === "enabled";
  return false;
}

/** What the stack says about each namespace: the labels of the Namespace objects (and patches) it declares. */
export interface DeclaredNamespace {
  object: KubeObject;
  labels: Record<string, string>;
  /** A patch only shows the labels it sets. */
  partial: boolean;
}

export function declaredNamespaces(objects: KubeObject[]): Map<string, DeclaredNamespace> | Unknown {
  const out = new Map<string, DeclaredNamespace>();
  for (const o of objects) {
    if (o.group !== "" || o.kind !== "Namespace") continue;
    if (o.name === UNKNOWN || o.labels === UNKNOWN) return UNKNOWN;
    const prev = out.get(o.name);
    out.set(o.name, {
      object: prev && !prev.partial ? prev.object : o,
      labels: { ...(prev?.labels ?? {}), ...o.labels },
      partial: (prev?.partial ?? true) && o.isPatch,
    });
  }
  return out;
}

/**
 * Namespaces the stack runs a gateway in: pods injected with the gateway template (the ingress gateway Deployment
 * the program writes, as Istio documents gateway injection), and releases of Istio's gateway chart. Such a namespace
 * holds only gateway pods, injected by their own labels, so the namespace-level checks leave it alone.
 */
export function gatewayNamespaces(resources: PolicyResource[], objects: KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    for (const t of podTemplates(o)) {
      if (t.namespace === UNKNOWN || t.annotations === UNKNOWN) continue;
      if (t.annotations[INJECT_TEMPLATES_ANNOTATION] === "gateway") out.add(t.namespace);
    }
  }
  for (const r of helmReleases(resources)) {
    if (r.chart === "gateway" && typeof r.namespace === "string") out.add(r.namespace);
  }
  return out;
}

/** Namespaces declared outside the mesh: the stack labels them istio-injection=disabled (Istio's own opt-out). */
export function isDeclaredOutsideMesh(labels: Record<string, string>): boolean {
  return labels[INJECTION_LABEL] === "disabled";
}
