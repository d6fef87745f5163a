// The annotation checks of Istio 1.23.4's `istioctl analyze` (analyzers/annotations/annotations.go, K8sAnalyzer:
// IST0107, IST0108, IST0125, IST0135) and of `istioctl x precheck` (analyzers/maturity/maturity.go, AlphaAnalyzer:
// IST0136), against the registry in ../lib/annotation-registry. Like them, they read the metadata annotations of Namespaces,
// Services, Pods and Deployments only (a Deployment's own metadata, not its pod template), only keys whose domain ends
// in "istio.io" (and kubernetes.io/ingress.class), and skip the namespaces istioctl does not load
// (inject.IgnoredNamespaces). An annotation map that is not known yet (preview) decides nothing.
import net from "node:net";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { SIDECAR_INJECT } from "../contract";
import { ISTIO_ANNOTATIONS, type IstioAnnotation } from "../lib/annotation-registry";
import { at, fullName, type KubeObject, kubeObject, list, str, UNKNOWN } from "../lib";

/** pkg/kube/inject/initializer.go IgnoredNamespaces: istioctl analyze never loads objects there. */
const IGNORED_NAMESPACES = new Set(["kube-system", "kube-public", "kube-node-lease", "local-path-storage"]);

/** maturity.AlwaysIgnoredAnnotations: set by Istio itself, never reported by either analyzer. */
const ALWAYS_IGNORED = new Set([
  "sidecar.istio.io/status",
  "gateway.istio.io/controller-version",
  "istio.io/rev",
  "istio.io/waypoint-for",
  "ambient.istio.io/redirection",
]);

/** maturity.go conditionallyIgnoredAnnotations: istiod sets them on Pods without an istio-init container (CNI). */
const SET_BY_ISTIOD_WITH_CNI = new Set([
  "sidecar.istio.io/interceptionMode",
  "traffic.sidecar.istio.io/includeInboundPorts",
  "traffic.sidecar.istio.io/excludeInboundPorts",
  "traffic.sidecar.istio.io/includeOutboundIPRanges",
]);

interface Annotated {
  object: KubeObject;
  kind: "Namespace" | "Service" | "Pod" | "Deployment";
  annotations: Record<string, string>;
}

/** The object if the analyzers inspect it and its annotations are known, with the Istio annotations only. */
function annotated(args: { type: string; props: unknown; urn: string }): Annotated | undefined {
  const o = kubeObject(args.type, args.props, args.urn);
  if (!o || o.annotations === UNKNOWN) return undefined;
  const kind =
    o.group === "" && (o.kind === "Namespace" || o.kind === "Service" || o.kind === "Pod")
      ? o.kind
      : o.group === "apps" && o.kind === "Deployment"
        ? o.kind
        : undefined;
  if (!kind) return undefined;
  const ns = kind === "Namespace" ? o.name : o.namespace;
  if (ns === UNKNOWN || IGNORED_NAMESPACES.has(ns)) return undefined;
  const annotations = Object.fromEntries(Object.entries(o.annotations).filter(([k]) => isIstioAnnotation(k)));
  return { object: o, kind, annotations };
}

/** annotations.go istioAnnotation: the part before the first "/" ends in istio.io, or the documented ingress class. */
export function isIstioAnnotation(key: string): boolean {
  return key === "kubernetes.io/ingress.class" || (key.split("/")[0] ?? "").endsWith("istio.io");
}

/** The registry entry K8sAnalyzer reaches for this key: undefined when ignored or unknown. */
function known(key: string): IstioAnnotation | undefined {
  return ALWAYS_IGNORED.has(key) ? undefined : ISTIO_ANNOTATIONS[key];
}

/** Whether K8sAnalyzer goes on past IST0107 to validate the value: the annotation belongs on this kind. */
function placed(def: IstioAnnotation, kind: string): boolean {
  const on: readonly string[] = def.resources;
  return on.includes("Any") || on.includes(kind);
}

const where = (a: Annotated): string => `${a.kind} ${fullName(a.object)}`;

// ---------------------------------------------------------------------------------------------------------------
// IST0108 UnknownAnnotation
// ---------------------------------------------------------------------------------------------------------------

export const ist0108UnknownAnnotation: ResourceValidationPolicy & Why = {
  name: "ist0108-unknown-annotation",
  description:
    "Every istio.io annotation on a Namespace, Service, Pod or Deployment is one Istio knows: an unknown one (a typo) " +
    "does nothing (istioctl analyze IST0108, analyzers/annotations/annotations.go).",
  enforcementLevel: "mandatory",
  why: "a typo",
  validateResource: (args, report) => {
    const a = annotated(args);
    if (!a) return;
    for (const key of Object.keys(a.annotations)) {
      if (!ALWAYS_IGNORED.has(key) && !ISTIO_ANNOTATIONS[key]) {
        report(`Unknown annotation: ${key} (${where(a)}).`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0107 MisplacedAnnotation
// ---------------------------------------------------------------------------------------------------------------

export const ist0107MisplacedAnnotation: ResourceValidationPolicy & Why = {
  name: "ist0107-misplaced-annotation",
  description:
    "An Istio annotation sits on the kind of resource Istio reads it from: a pod annotation on a Deployment's own " +
    "metadata (not its template) or on a Service does nothing (istioctl analyze IST0107, " +
    "analyzers/annotations/annotations.go).",
  enforcementLevel: "mandatory",
  why: "Istio ignores it",
  validateResource: (args, report) => {
    const a = annotated(args);
    if (!a) return;
    for (const key of Object.keys(a.annotations)) {
      const def = known(key);
      if (!def || placed(def, a.kind)) continue;
      report(`Misplaced annotation: ${key} can only be applied to ${def.resources.join(", ")} (${where(a)}).`);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0125 InvalidAnnotation
// ---------------------------------------------------------------------------------------------------------------

const BOOLS = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseUint(s, 10, bits): decimal digits only, in range. */
function parsesUint(s: string, max: bigint): boolean {
  return /^[0-9]+$/.test(s) && BigInt(s) <= max;
}

/** inject/validate.go parsePort: a trimmed uint16. */
const port = (s: string): boolean => parsesUint(s.trim(), 65535n);

/** inject/validate.go parsePorts: empty, or comma-separated ports. */
function portList(name: string, value: string): string | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  const bad = v.split(",").find((p) => !port(p));
  return bad === undefined ? undefined : `${name} invalid: failed parsing port '${bad}'`;
}

/** net/netip.ParsePrefix: an address without zone, "/", prefix bits in decimal without sign or leading zero. */
function prefix(s: string): boolean {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits) || ip.includes("%")) return false;
  const family = net.isIP(ip);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** inject/validate.go validateCIDRList: empty, or comma-separated prefixes (no spaces). */
function cidrList(name: string, value: string): string | undefined {
  if (value === "") return undefined;
  const bad = value.split(",").find((c) => !prefix(c));
  return bad === undefined ? undefined : `${name} invalid: failed parsing cidr '${bad}'`;
}

/**
 * inject.AnnotationValidation (pkg/kube/inject/validate.go): the problem with a value, undefined when valid.
 * proxy.istio.io/config is left to istioctl: it is validated as a whole mesh ProxyConfig.
 */
const VALIDATION: Record<string, (v: string) => string | undefined> = {
  "sidecar.istio.io/interceptionMode": (v) =>
    ["REDIRECT", "TPROXY", "NONE"].includes(v) ? undefined : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`,
  "sidecar.istio.io/enableCoreDump": (v) => (BOOLS.has(v) ? undefined : `not a boolean: ${v}`),
  "prometheus.istio.io/merge-metrics": (v) => (BOOLS.has(v) ? undefined : `not a boolean: ${v}`),
  "status.sidecar.istio.io/port": (v) =>
    port(v) ? undefined : `excludeInboundPorts invalid: failed parsing port '${v}'`,
  "readiness.status.sidecar.istio.io/initialDelaySeconds": (v) =>
    parsesUint(v, 4294967295n) ? undefined : `not a uint32: ${v}`,
  "readiness.status.sidecar.istio.io/periodSeconds": (v) =>
    parsesUint(v, 4294967295n) ? undefined : `not a uint32: ${v}`,
  "readiness.status.sidecar.istio.io/failureThreshold": (v) =>
    parsesUint(v, 4294967295n) ? undefined : `not a uint32: ${v}`,
  "traffic.sidecar.istio.io/includeOutboundIPRanges": (v) => (v === "*" ? undefined : cidrList("includeIPRanges", v)),
  "traffic.sidecar.istio.io/excludeOutboundIPRanges": (v) => cidrList("excludeIPRanges", v),
  "traffic.sidecar.istio.io/includeInboundPorts": (v) => (v === "*" ? undefined : portList("includeInboundPorts", v)),
  "traffic.sidecar.istio.io/excludeInboundPorts": (v) => portList("excludeInboundPorts", v),
  "traffic.sidecar.istio.io/excludeOutboundPorts": (v) => portList("excludeOutboundPorts", v),
};

export const ist0125InvalidAnnotation: ResourceValidationPolicy & Why = {
  name: "ist0125-invalid-annotation",
  description:
    "A sidecar annotation on a Pod has a value the injector accepts (ports, CIDR lists, booleans, interception " +
    "mode: istioctl analyze IST0125, analyzers/annotations/annotations.go with inject.AnnotationValidation).",
  enforcementLevel: "mandatory",
  why: "injector rejects it",
  validateResource: (args, report) => {
    const a = annotated(args);
    if (!a) return;
    for (const [key, value] of Object.entries(a.annotations)) {
      const def = known(key);
      const validate = VALIDATION[key];
      if (!def || !validate || !placed(def, a.kind)) continue;
      const problem = validate(value);
      if (problem !== undefined) report(`Invalid annotation ${key}: ${problem} (${where(a)}).`);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0135 DeprecatedAnnotation
// ---------------------------------------------------------------------------------------------------------------

export const ist0135DeprecatedAnnotation: ResourceValidationPolicy & Why = {
  name: "ist0135-deprecated-annotation",
  description:
    "No deprecated Istio annotation (sidecar.istio.io/inject is excused next to the label of the same name: " +
    "istioctl analyze IST0135, analyzers/annotations/annotations.go).",
  enforcementLevel: "advisory",
  why: "may stop working",
  validateResource: (args, report) => {
    const a = annotated(args);
    if (!a) return;
    for (const key of Object.keys(a.annotations)) {
      if (!known(key)?.deprecated) continue;
      let extra = "";
      if (key === SIDECAR_INJECT) {
        const labels = a.object.labels;
        // A patch shows only the labels it sets: the object may carry the label already.
        if (labels === UNKNOWN || labels[SIDECAR_INJECT] !== undefined || a.object.isPatch) continue;
        extra = ` in favor of the "${SIDECAR_INJECT}" label`;
      }
      report(
        `Annotation "${key}" has been deprecated${extra} and may not work in future Istio versions (${where(a)}).`,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0136 AlphaAnnotation (istioctl x precheck; not in istioctl analyze's default set)
// ---------------------------------------------------------------------------------------------------------------

export const ist0136AlphaAnnotation: ResourceValidationPolicy & Why = {
  name: "ist0136-alpha-annotation",
  description:
    "Istio annotations of alpha-phase features are flagged: they may be incompletely supported (istioctl x " +
    "precheck IST0136, analyzers/maturity/maturity.go; the ones istiod sets itself are excused).",
  enforcementLevel: "advisory",
  why: "alpha feature",
  validateResource: (args, report) => {
    const a = annotated(args);
    if (!a) return;
    for (const key of Object.keys(a.annotations)) {
      if (!known(key)?.alpha) continue;
      if (a.kind === "Pod" && SET_BY_ISTIOD_WITH_CNI.has(key)) {
        // isCNIEnabled: no istio-init container means istiod wrote these itself.
        const init = list(at(a.object.spec, "initContainers"));
        if (init === UNKNOWN || init.some((c) => c === UNKNOWN || str(at(c, "name")) === UNKNOWN)) continue;
        if (!init.some((c) => str(at(c, "name")) === "istio-init")) continue;
      }
      report(`Annotation "${key}" is part of an alpha-phase feature and may be incompletely supported (${where(a)}).`);
    }
  },
};
