// The Istio APIs the stack writes: the v1 versions (served since Istio 1.22) wherever they exist, and no field Istio
// 1.23 marks deprecated. Older versions and deprecated fields keep working until an upgrade removes them, which is the
// worst moment to find out.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, isIstioObject, type Json, type KubeObject, knownItems, kubeObject, shown, UNKNOWN } from "../lib";

/** Kinds with a served v1 API in Istio 1.22+ (crd-all.gen.yaml of 1.23.4); EnvoyFilter, WasmPlugin, ProxyConfig have none. */
export const ISTIO_V1_KINDS: Record<string, readonly string[]> = {
  "networking.istio.io": [
    "Gateway",
    "VirtualService",
    "DestinationRule",
    "ServiceEntry",
    "Sidecar",
    "WorkloadEntry",
    "WorkloadGroup",
  ],
  "security.istio.io": ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"],
  "telemetry.istio.io": ["Telemetry"],
};

export const istioApiVersionV1: ResourceValidationPolicy & Why = {
  name: "istio-api-version-v1",
  description:
    "Istio objects use the v1 API wherever Istio serves it (1.22+), not v1alpha3/v1beta1: the older versions are " +
    "only kept for compatibility and are next in line for removal (Istio 1.22 release notes, API versioning policy).",
  enforcementLevel: "mandatory",
  why: "the old versions are next to be removed",
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj || !isIstioObject(obj) || obj.version === "v1") return;
    if (ISTIO_V1_KINDS[obj.group]?.includes(obj.kind)) {
      report(
        `${obj.kind} ${shown(obj.name)} uses ${obj.group}/${obj.version}; Istio serves ${obj.group}/v1 for it since 1.22: ` +
          `change apiVersion to ${obj.group}/v1 (the spec is the same).`,
      );
    }
  },
};

/** A deprecated field found in an object: where, and what replaces it. */
interface Deprecation {
  path: string;
  advice: string;
}

/** A traffic policy and its port-level settings, as DestinationRule nests them (top level and per subset). */
function trafficPolicies(spec: Json | undefined): { path: string; policy: Json }[] {
  const out: { path: string; policy: Json }[] = [];
  const add = (path: string, policy: Json | undefined) => {
    if (policy === undefined || policy === UNKNOWN) return;
    out.push({ path, policy });
    knownItems(at(policy, "portLevelSettings")).forEach((p, i) =>
      out.push({ path: `${path}.portLevelSettings[${i}]`, policy: p }),
    );
  };
  add("trafficPolicy", at(spec, "trafficPolicy"));
  knownItems(at(spec, "subsets")).forEach((s, i) => add(`subsets[${i}].trafficPolicy`, at(s, "trafficPolicy")));
  return out;
}

/** The deprecated fields Istio 1.23.4 warns about (pkg/config/validation, analyzers/deprecation, IST0002). */
export function deprecatedFields(obj: KubeObject): Deprecation[] {
  const found: Deprecation[] = [];
  if (obj.group === "rbac.istio.io") {
    found.push({
      path: "kind",
      advice: `custom resource type rbac.istio.io ${obj.kind} is removed; use security.istio.io AuthorizationPolicy`,
    });
    return found;
  }
  if (!isIstioObject(obj)) return found;
  const spec = obj.spec;
  if (obj.kind === "DestinationRule") {
    for (const { path, policy } of trafficPolicies(spec)) {
      if (at(policy, "outlierDetection", "consecutiveErrors") !== undefined) {
        found.push({
          path: `${path}.outlierDetection.consecutiveErrors`,
          advice: "use consecutiveGatewayErrors or consecutive5xxErrors",
        });
      }
      if (at(policy, "loadBalancer", "consistentHash", "minimumRingSize") !== undefined) {
        found.push({
          path: `${path}.loadBalancer.consistentHash.minimumRingSize`,
          advice: "use loadBalancer.consistentHash.ringHash.minimumRingSize",
        });
      }
    }
  }
  if (obj.kind === "VirtualService") {
    knownItems(at(spec, "http")).forEach((route, i) => {
      for (const field of ["mirrorPercent", "mirror_percent"]) {
        if (at(route, field) !== undefined) found.push({ path: `http[${i}].${field}`, advice: "use mirrorPercentage" });
      }
      if (at(route, "fault", "delay", "percent") !== undefined) {
        found.push({ path: `http[${i}].fault.delay.percent`, advice: "use fault.delay.percentage" });
      }
    });
  }
  if (obj.kind === "Sidecar" && at(spec, "outboundTrafficPolicy", "egressProxy") !== undefined) {
    found.push({ path: "outboundTrafficPolicy.egressProxy", advice: "it is ignored; remove it" });
  }
  return found;
}

export const istioNoDeprecatedFields: ResourceValidationPolicy & Why = {
  name: "istio-no-deprecated-fields",
  description:
    "Istio objects use no field Istio 1.23 deprecates (e.g. outlierDetection.consecutiveErrors, mirrorPercent, " +
    "fault.delay.percent): they are ignored or removed on a later upgrade (istioctl analyze IST0002, Istio validation warnings).",
  enforcementLevel: "mandatory",
  why: "deprecated fields are ignored or removed on a later upgrade",
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj) return;
    for (const d of deprecatedFields(obj)) {
      const what = d.path === "kind" ? "is of a removed type" : `sets spec.${d.path}`;
      report(`Deprecated: ${obj.kind} ${shown(obj.name)} ${what}: ${d.advice}.`);
    }
  },
};
