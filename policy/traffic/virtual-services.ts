// Traffic rules on VirtualServices: house rules stricter than istioctl analyze, and Kyverno's
// restrict-virtual-service-wildcard (kyverno/policies, istio/). Each policy's description names its source.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION, FAULT_EXPIRES_ANNOTATION } from "../contract";
import {
  at,
  configOf,
  fullName,
  isIstioObject,
  type Json,
  istioObjects,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  namespacedRef,
  num,
  parseDuration,
  str,
  UNKNOWN,
} from "../lib";
import { MESH_GATEWAY, strings, virtualService, vsGateways } from "../lib/virtual-services";

export const virtualServiceGatewayHostUnique: StackValidationPolicy & Why = {
  name: "virtualservice-gateway-host-unique",
  description:
    "House rule (stricter than istioctl analyze): no two VirtualServices bound to the same ingress/egress Gateway " +
    "claim the same host. Istio accepts the split and merges their routes in creation order, so routing depends on " +
    "history; one VirtualService per host (with `delegate` for per-team routes, whose delegates carry no hosts) keeps " +
    'it in the stack (Istio traffic management best practices, "split large virtual services").',
  enforcementLevel: "mandatory",
  why: "_house rule_: Istio merges them in creation order, so routing depends on history; per-team routes use `delegate`",
  validateStack: (args, report) => {
    const claims = new Map<string, { vs: KubeObject; host: string }[]>();
    for (const vs of istioObjects(kubeObjects(args.resources), "VirtualService")) {
      const gws = vsGateways(vs);
      const hosts = strings(at(vs.spec, "hosts"));
      if (gws === UNKNOWN || hosts === UNKNOWN || vs.namespace === UNKNOWN) continue;
      for (const gw of gws) {
        if (gw === MESH_GATEWAY) continue;
        const ref = namespacedRef(gw, vs.namespace);
        const key = `${ref.namespace}/${ref.name}`;
        claims.set(key, [...(claims.get(key) ?? []), ...hosts.map((host) => ({ vs, host }))]);
      }
    }
    for (const [gateway, list0] of claims) {
      const flagged = new Set<string>();
      for (let i = 0; i < list0.length; i++) {
        for (let j = i + 1; j < list0.length; j++) {
          const a = list0[i] as { vs: KubeObject; host: string };
          const b = list0[j] as { vs: KubeObject; host: string };
          // Envoy builds one virtual host per exact domain: a wildcard and a name under it do not collide.
          if (a.vs === b.vs || a.host.toLowerCase() !== b.host.toLowerCase()) continue;
          for (const [mine, other] of [
            [a, b],
            [b, a],
          ] as const) {
            const id = `${mine.vs.urn}|${other.vs.urn}|${mine.host}`;
            if (flagged.has(id)) continue;
            flagged.add(id);
            report(
              `VirtualService ${fullName(mine.vs)} claims host ${mine.host} on gateway ${gateway}, as does ${fullName(other.vs)} ` +
                `(${other.host}): keep one VirtualService per host and gateway (merge the routes, or use delegate).`,
              mine.vs.urn,
            );
          }
        }
      }
    }
  },
};

/**
 * A route's timeout and retries.perTryTimeout, as written and in seconds, when both are known and parse; undefined for
 * a 0s timeout, which Istio reads as no route timeout.
 */
function routeTimes(rule: Json): { timeout: string; perTry: string; t: number; p: number } | undefined {
  const timeout = str(at(rule, "timeout"));
  const perTry = str(at(rule, "retries", "perTryTimeout"));
  if (typeof timeout !== "string" || typeof perTry !== "string") return undefined;
  const t = parseDuration(timeout);
  const p = parseDuration(perTry);
  if (t === undefined || p === undefined || t === 0) return undefined;
  return { timeout, perTry, t, p };
}

export const retryPerTryTimeoutWithinRouteTimeout: ResourceValidationPolicy & Why = {
  name: "retry-per-try-timeout-within-route-timeout",
  description:
    "A route's retries.perTryTimeout is not longer than its timeout: the route timeout cuts every attempt short, so " +
    "the retries that perTryTimeout promises never happen (Istio VirtualService reference, HTTPRetry).",
  enforcementLevel: "mandatory",
  why: "_house rule_: the route timeout cuts the attempts short: the promised retries never happen",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    knownItems(at(vs.spec, "http")).forEach((rule, i) => {
      const times = routeTimes(rule);
      if (!times) return;
      const { timeout, perTry, t, p } = times;
      if (p > t) {
        report(
          `VirtualService ${fullName(vs)} http[${i}] has retries.perTryTimeout ${perTry}, longer than its timeout ${timeout}: ` +
            "lower perTryTimeout (e.g. timeout divided by the attempts) or raise the timeout (config aks-mesh:ingress.hosts[].routes[].timeout).",
        );
      }
    });
  },
};

export const restrictVirtualServiceWildcard: ResourceValidationPolicy & Why = {
  name: "restrict-virtual-service-wildcard",
  description:
    "VirtualService hosts name exact hosts, no wildcards: a wildcard host routes traffic meant for other " +
    "services to this one (Kyverno restrict-virtual-service-wildcard).",
  enforcementLevel: "mandatory",
  why: "_house rule_: a wildcard routes other services' traffic here",
  validateResource: (args, report) => {
    const vs = kubeObject(args.type, args.props, args.urn);
    if (!vs || !isIstioObject(vs) || vs.kind !== "VirtualService") return;
    for (const h of knownItems(at(vs.spec, "hosts"))) {
      if (typeof h === "string" && h.includes("*")) {
        report(`VirtualService ${fullName(vs)} has wildcard host "${h}": list the exact hosts it serves.`);
      }
    }
  },
};

export const retryBudgetWithinRouteTimeout: ResourceValidationPolicy & Why = {
  name: "retry-budget-within-route-timeout",
  description:
    "A route's tries, the first and its retries (1 + retries.attempts: Istio sends attempts as Envoy's num_retries), " +
    "times retries.perTryTimeout fit in its timeout: past it, the route timeout cuts the last retries short, so fewer " +
    "happen than promised (Istio HTTPRetry.attempts: the retries made also depend on the route timeout and " +
    "perTryTimeout; Envoy RetryPolicy.per_try_timeout applies to every attempt including the initial one, " +
    "RouteAction.timeout spans all retries). Retry back-off (25ms base) comes on top.",
  enforcementLevel: "advisory",
  why: "_house rule_: the route timeout ends the request before the last retries run",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    knownItems(at(vs.spec, "http")).forEach((rule, i) => {
      const times = routeTimes(rule);
      const attempts = num(at(rule, "retries", "attempts"));
      // 0 attempts turn retries off.
      if (!times || typeof attempts !== "number" || attempts <= 0) return;
      const { timeout, perTry, t, p } = times;
      // One try already longer than the timeout: retry-per-try-timeout-within-route-timeout reports that route.
      if (p > t) return;
      // In microseconds, as integers: 3 tries of 0.1s fit in 0.3s.
      const total = (1 + attempts) * Math.round(p * 1e6);
      if (total <= Math.round(t * 1e6)) return;
      report(
        `VirtualService ${fullName(vs)} http[${i}]: ${1 + attempts} tries of ${perTry} (${total / 1e6}s) exceed its ` +
          `timeout ${timeout}: raise the timeout, or lower retries.attempts or perTryTimeout (config ` +
          "aks-mesh:traffic.services.<service>.timeout / .retries).",
      );
    });
  },
};

export const faultInjectionAllowed: ResourceValidationPolicy & Why = {
  name: "fault-injection-allowed-and-unexpired",
  description:
    "A VirtualService route that injects faults (http[].fault) is a resilience drill agreed for this environment: " +
    `annotated ${FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION}: "true" and ${FAULT_EXPIRES_ANNOTATION} with a day not yet ` +
    "past. A forgotten drill delays or fails real users' requests (Istio fault injection task). Production runs it " +
    "mandatory; development only needs the unexpired day (requireAllow false).",
  enforcementLevel: "advisory",
  why: "_house rule_: a forgotten drill keeps failing real requests",
  configSchema: {
    properties: {
      requireAllow: {
        type: "boolean",
        default: true,
        description: "Whether the allow annotation is required (true in production).",
      },
    },
  },
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs || vs.annotations === UNKNOWN) return;
    const { requireAllow } = configOf<{ requireAllow: boolean }>(args, { requireAllow: true });
    const faulty = knownItems(at(vs.spec, "http"))
      .map((rule, i) => ({ i, fault: at(rule, "fault") }))
      .filter(({ fault }) => fault !== undefined && fault !== null);
    if (faulty.length === 0) return;
    const where = `VirtualService ${fullName(vs)} http[${faulty.map((f) => f.i).join(", ")}] injects faults`;
    if (requireAllow && vs.annotations[FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION] !== "true") {
      report(
        `${where} without an explicit allow: set aks-mesh:traffic.services.<service>.fault.allowInProduction, or remove the fault.`,
      );
    }
    const expires = vs.annotations[FAULT_EXPIRES_ANNOTATION];
    const today = new Date().toISOString().slice(0, 10);
    if (expires === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(expires)) {
      report(`${where} with no expiry day: set aks-mesh:traffic.services.<service>.fault.expires.`);
    } else if (expires < today) {
      report(`${where}, and its drill ended on ${expires}: remove aks-mesh:traffic.services.<service>.fault.`);
    }
  },
};
