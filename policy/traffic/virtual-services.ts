// Traffic rules on VirtualServices: house rules stricter than istioctl analyze, and Kyverno's
// restrict-virtual-service-wildcard (kyverno/policies, istio/). Each policy's description names its source.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  isIstioObject,
  istioObjects,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  namespacedRef,
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
      const timeout = str(at(rule, "timeout"));
      const perTry = str(at(rule, "retries", "perTryTimeout"));
      if (typeof timeout !== "string" || typeof perTry !== "string") return;
      const t = parseDuration(timeout);
      const p = parseDuration(perTry);
      if (t === undefined || p === undefined || t === 0) return;
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
