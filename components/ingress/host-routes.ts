import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { HostEntry } from "../../config";
import { hostSlug, type IstioSpecs, istioObject, meshLabels, serviceFqdn } from "../shared";

export interface HostRoutesArgs {
  /** Namespace of the VirtualServices; the Gateway admits routes for these hosts from it only. */
  namespace: string;
  /** The Gateway reference ("<namespace>/<name>"). */
  gatewayRef: string;
  /** Hosts and their path routes (config ingress.hosts). */
  hosts: HostEntry[];
}

type HttpRoute = NonNullable<IstioSpecs["VirtualService"]["http"]>[number];

/**
 * The HTTP routes of one host. Longest prefix first: Istio takes the first match, so "/" listed before "/api" would
 * swallow it (NGINX Ingress sorted paths by length for you; Istio does not).
 */
export function httpRoutes(entry: HostEntry): HttpRoute[] {
  return [...entry.routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((r) => ({
      name: routeName(r.service, r.prefix),
      match: [{ uri: { prefix: r.prefix } }],
      ...(r.rewrite ? { rewrite: { uri: r.rewrite } } : {}),
      route: [{ destination: { host: serviceFqdn(r.service, r.namespace), port: { number: r.port } } }],
      ...(r.timeout ? { timeout: r.timeout } : {}),
    }));
}

/** A readable, DNS-safe route name: "api" + "/v1/orders" -> "api-v1-orders", "web" + "/" -> "web-root". */
export function routeName(service: string, prefix: string): string {
  const path = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${service}-${path || "root"}`;
}

/** One VirtualService per application host, bound to the public Gateway: the NGINX Ingress rules, as Istio routes. */
export class HostRoutes extends pulumi.ComponentResource {
  /** Host -> VirtualService. */
  readonly virtualServices: Record<string, k8s.apiextensions.CustomResource> = {};

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
    this.registerOutputs({ hosts: Object.keys(this.virtualServices) });
  }
}
