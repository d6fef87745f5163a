import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "../../config";
import { hasDestinationFields } from "../../config/traffic";
import { EXPECTED_CONCURRENCY_ANNOTATION } from "../../policy/contract";
import type { ClusterHandle } from "../cluster";
import type { GatewayHandle } from "../ingress/handle";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { istioObject, meshLabels } from "../shared";
import { destinationRuleSpec } from "./destination-rule";
import { gatewayHostNames } from "./gateway-names";
import { GlobalRateLimit } from "./global-rate-limiter";
import {
  distinctVersions,
  type GatewayLimitTarget,
  gatewayRateLimitSpec,
  sidecarRateLimitSpec,
  versionSlug,
} from "./rate-limits";
import { faultAnnotations, hasRouteSettings, meshRouteName, meshVirtualServiceSpec } from "./routes";

export interface TrafficArgs {
  /** The validated stack config; this area reads traffic (per-service policies, gateway limits), mesh.graph, ingress.hosts. */
  config: MeshConfig;
  handles: {
    cluster: ClusterHandle;
    /** "After istiod": the CRDs are served; `revisions`: the proxy versions an EnvoyFilter is copied for. */
    controlPlane: ControlPlaneHandle;
    /** What an object in an application namespace waits for. */
    mesh: MeshHandle;
    /** The ingress gateway's namespace and pods: where its rate limits go. */
    gateway: GatewayHandle;
  };
}

/**
 * The Envoy names a gateway limit matches: its host's virtual hosts (443 with TLS, 80 when plain HTTP serves it too)
 * and, for one route, that route's name.
 */
export function gatewayLimitTargets(config: MeshConfig): GatewayLimitTarget[] {
  return config.traffic.gatewayRateLimits.map((limit) => {
    const names = gatewayHostNames(config, limit.host);
    const route = limit.prefix === undefined ? undefined : names.routes[limit.prefix];
    return { limit, vhosts: names.vhosts, ...(route ? { route } : {}) };
  });
}

/**
 * Traffic policy per service of the graph (config aks-mesh:traffic): a DestinationRule per service with destination
 * fields, named after the service; a VirtualService <service>-mesh for in-mesh callers when it sets route fields
 * (timeout, retries, fault); a sidecar rate limit per service that asks; the gateway's local rate limits; and, when
 * enabled, global rate limiting (GlobalRateLimit). Every EnvoyFilter is emitted once per installed proxy version. Removing a service's entry removes its objects, and
 * Istio's defaults apply again.
 */
export class Traffic extends pulumi.ComponentResource {
  /** Service name -> its DestinationRule. */
  readonly destinationRules: Record<string, k8s.apiextensions.CustomResource> = {};
  /** Service name -> its in-mesh VirtualService. */
  readonly meshRoutes: Record<string, k8s.apiextensions.CustomResource> = {};
  /** EnvoyFilter name -> the EnvoyFilter (every version's copy). */
  readonly envoyFilters: Record<string, k8s.apiextensions.CustomResource> = {};
  /** The ratelimit service, Redis and the gateway's global limits, when traffic.globalRateLimit.enabled. */
  readonly globalRateLimit?: GlobalRateLimit;

  constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:traffic:Traffic", name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const { config, handles } = args;
    const { graph } = config.mesh;
    const versions = distinctVersions(handles.controlPlane.revisions);

    for (const [service, t] of Object.entries(config.traffic.services)) {
      const declared = graph.services[service];
      if (!declared) throw new Error(`traffic for "${service}" was not checked against the graph`); // crossChecks refused it
      const ns = declared.namespace;
      const after = { parent: this, dependsOn: [...handles.controlPlane.ready, ...handles.mesh.namespaceReady(ns)] };
      if (hasDestinationFields(t.policy) || t.ports) {
        this.destinationRules[service] = istioObject(
          "DestinationRule",
          `${name}-dr-${service}`,
          {
            name: service,
            namespace: ns,
            labels: meshLabels("traffic"),
            ...(t.expectedConcurrentRequests !== undefined
              ? { annotations: { [EXPECTED_CONCURRENCY_ANNOTATION]: String(t.expectedConcurrentRequests) } }
              : {}),
            spec: destinationRuleSpec(service, ns, t.policy, t.ports),
          },
          after,
        );
      }
      if (hasRouteSettings(t)) {
        const annotations = faultAnnotations(t);
        this.meshRoutes[service] = istioObject(
          "VirtualService",
          `${name}-vs-${service}`,
          {
            name: meshRouteName(service),
            namespace: ns,
            labels: meshLabels("traffic"),
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
            spec: meshVirtualServiceSpec(service, ns, t),
          },
          after,
        );
      }
      if (t.rateLimit) {
        for (const version of versions) {
          const efName = `${service}-ratelimit-${versionSlug(version)}`;
          this.envoyFilters[`${ns}/${efName}`] = istioObject(
            "EnvoyFilter",
            `${name}-ef-${service}-${versionSlug(version)}`,
            {
              name: efName,
              namespace: ns,
              labels: meshLabels("traffic"),
              spec: sidecarRateLimitSpec(t.rateLimit.selector, version, t.rateLimit),
            },
            after,
          );
        }
      }
    }

    const targets = gatewayLimitTargets(config);
    if (targets.length > 0) {
      const gw = handles.gateway;
      for (const version of versions) {
        const efName = `${gw.name}-ratelimit-${versionSlug(version)}`;
        this.envoyFilters[`${gw.namespace}/${efName}`] = istioObject(
          "EnvoyFilter",
          `${name}-ef-gateway-${versionSlug(version)}`,
          {
            name: efName,
            namespace: gw.namespace,
            labels: meshLabels("traffic"),
            spec: gatewayRateLimitSpec(gw.selector, version, targets),
          },
          { parent: this, dependsOn: [...handles.controlPlane.ready, ...gw.namespaceReady] },
        );
      }
    }
    const global = config.traffic.globalRateLimit;
    if (global.enabled) {
      const hosts = Object.fromEntries(
        [...new Set(global.limits.map((l) => l.host))].map((h) => [h, gatewayHostNames(config, h)]),
      );
      this.globalRateLimit = new GlobalRateLimit(
        `${name}-global`,
        { config: global, hosts, handles: { controlPlane: handles.controlPlane, gateway: handles.gateway } },
        { parent: this },
      );
    }
    this.registerOutputs({
      destinationRules: Object.keys(this.destinationRules),
      meshRoutes: Object.keys(this.meshRoutes),
      envoyFilters: Object.keys(this.envoyFilters),
      ...(this.globalRateLimit ? { globalRateLimit: this.globalRateLimit.envoyFilters } : {}),
    });
  }
}
