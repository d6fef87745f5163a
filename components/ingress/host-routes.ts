import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { hostSlug, type IstioSpecs, istioObject, meshLabels, serviceFqdn } from "../shared";

/** One path of a public host, with its Service resolved (namespace and port). */
export interface PublicRoute {
  prefix: string;
  service: string;
  namespace: string;
  port: number;
  rewrite?: string;
  timeout?: string;
  /** Hand this path's routing to the service's delegate VirtualService (Istio `delegate`). */
  delegate?: boolean;
}

/** A public host and its paths. */
export interface PublicHost {
  host: string;
  routes: PublicRoute[];
}

export interface HostRoutesArgs {
  /** Namespace of the VirtualServices; the Gateway admits routes for these hosts from it only. */
  namespace: string;
  /** The Gateway reference ("<namespace>/<name>"). */
  gatewayRef: string;
  /** Hosts and their path routes (config ingress.hosts). */
  hosts: PublicHost[];
  /** What a delegate VirtualService in a namespace waits for besides the component's dependsOn: its Namespace. */
  delegateDependsOn?: (namespace: string) => pulumi.Resource[];
  /**
   * What a service's delegate route sets besides its destination: the traffic area's timeout, retries and fault
   * (config aks-mesh:traffic.services.<service>), with the annotations that go with them. Nothing when undefined.
   */
  delegateSettings?: (service: string) => { route: DelegateRouteSettings; annotations: Record<string, string> };
}

/** The fields of a delegate route another area sets. */
export type DelegateRouteSettings = Pick<HttpRoute, "timeout" | "retries" | "fault">;

type HttpRoute = NonNullable<IstioSpecs["VirtualService"]["http"]>[number];

/**
 * The HTTP routes of one host. Longest prefix first: Istio takes the first match, so "/" listed before "/api" would
 * swallow it (NGINX Ingress sorted paths by length for you; Istio does not).
 *
 * A delegated path keeps its match, rewrite and timeout here and names the service's delegate VirtualService instead
 * of a destination: a root route may carry no `route` (1.23.4 pkg/config/validation/virtualservice.go
 * validateHTTPRouteConflict), and each delegate route inherits the root's match, rewrite and timeout unless it sets its
 * own (pilot/pkg/model/virtualservice.go mergeHTTPRoute).
 */
export function httpRoutes(entry: PublicHost): HttpRoute[] {
  return [...entry.routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((r) => ({
      name: routeName(r.service, r.prefix),
      match: [{ uri: { prefix: r.prefix } }],
      ...(r.rewrite ? { rewrite: { uri: r.rewrite } } : {}),
      ...(r.delegate
        ? { delegate: { name: delegateName(r.service), namespace: r.namespace } }
        : { route: [destination(r)] }),
      ...(r.timeout ? { timeout: r.timeout } : {}),
    }));
}

function destination(r: PublicRoute): NonNullable<HttpRoute["route"]>[number] {
  return { destination: { host: serviceFqdn(r.service, r.namespace), port: { number: r.port } } };
}

/** Name of a service's delegate VirtualService, in the service's namespace. */
export function delegateName(service: string): string {
  return `${service}-public`;
}

/**
 * The name Envoy gives a path's route: the VirtualService route's name, or for a delegated path "<root>-<delegate>"
 * (1.23.4 pilot/pkg/model/virtualservice.go mergeHTTPRoute; route.go translateRoute keeps the name): what an
 * EnvoyFilter's HTTP_ROUTE match names.
 */
export function envoyRouteName(r: Pick<PublicRoute, "service" | "prefix" | "delegate">): string {
  const root = routeName(r.service, r.prefix);
  return r.delegate ? `${root}-${delegateRouteName(r.service)}` : root;
}

/** The name of the one route of a service's delegate VirtualService. */
function delegateRouteName(service: string): string {
  return service;
}

/** A readable, DNS-safe route name: "api" + "/v1/orders" -> "api-v1-orders", "web" + "/" -> "web-root". */
export function routeName(service: string, prefix: string): string {
  const path = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${service}-${path || "root"}`;
}

/**
 * One VirtualService per application host, bound to the public Gateway: the NGINX Ingress rules, as Istio routes.
 * A path marked `delegate` is routed by a VirtualService of the service's own (no hosts, no gateways, in the
 * service's namespace), so the areas that own a service's routing (traffic, delivery) change that object alone and
 * never a second VirtualService for the same gateway host (Istio merges only one VirtualService per host and gateway:
 * docs ops/best-practices/traffic-management "split large virtual services").
 */
export class HostRoutes extends pulumi.ComponentResource {
  /** Host -> VirtualService. */
  readonly virtualServices: Record<string, k8s.apiextensions.CustomResource> = {};
  /** Service -> its delegate VirtualService, for every service some path delegates to. */
  readonly delegates: Record<string, k8s.apiextensions.CustomResource> = {};

  constructor(name: string, args: HostRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:HostRoutes", name, {}, opts);
    for (const entry of args.hosts) {
      const slug = hostSlug(entry.host);
      this.virtualServices[entry.host] = istioObject(
        "VirtualService",
        `${name}-${slug}`,
        {
          name: slug,
          namespace: args.namespace,
          labels: meshLabels("ingress"),
          spec: { hosts: [entry.host], gateways: [args.gatewayRef], http: httpRoutes(entry) },
        },
        { parent: this, dependsOn: opts?.dependsOn },
      );
    }
    // One delegate per service, whatever the number of paths and hosts that hand it their routing: the delegate's
    // route has no match of its own and so takes each root route's.
    const delegated = new Map<string, PublicRoute>();
    for (const r of args.hosts.flatMap((h) => h.routes)) if (r.delegate) delegated.set(r.service, r);
    for (const [service, r] of delegated) {
      const settings = args.delegateSettings?.(service);
      this.delegates[service] = istioObject(
        "VirtualService",
        `${name}-delegate-${service}`,
        {
          name: delegateName(service),
          namespace: r.namespace,
          labels: meshLabels("ingress"),
          ...(settings && Object.keys(settings.annotations).length > 0 ? { annotations: settings.annotations } : {}),
          spec: { http: [{ name: delegateRouteName(service), route: [destination(r)], ...(settings?.route ?? {}) }] },
        },
        { parent: this, dependsOn: [...toArray(opts?.dependsOn), ...(args.delegateDependsOn?.(r.namespace) ?? [])] },
      );
    }
    this.registerOutputs({ hosts: Object.keys(this.virtualServices), delegates: Object.keys(this.delegates) });
  }
}

function toArray(deps: pulumi.ResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (deps === undefined) return [];
  return Array.isArray(deps) ? deps : [deps as pulumi.Input<pulumi.Resource>];
}
