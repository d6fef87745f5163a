import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type IstioSpecs, istioObject, meshLabels, namespacedName } from "../shared";

/** A host served on the public gateway, and the namespace whose VirtualServices may route it. */
export interface GatewayHost {
  host: string;
  /** Namespace allowed to bind routes for this host (server host "<namespace>/<host>"). */
  routesNamespace: string;
  /** HTTPS with this Kubernetes TLS Secret (in the gateway namespace); HTTP redirects to HTTPS unless told not to. */
  tls?: { credentialName: string; httpsRedirect: boolean };
}

export interface PublicGatewayArgs {
  /** Name of the Istio Gateway object (config ingress.gatewayName). */
  name: string;
  /** Namespace of the gateway workload, where the Gateway object and its TLS Secrets live. */
  namespace: string;
  /** Labels of the gateway pods. */
  selector: Record<string, string>;
  /** Every host of the mesh, from every layer (applications, monitoring, ...). */
  hosts: GatewayHost[];
}

type Server = NonNullable<IstioSpecs["Gateway"]["servers"]>[number];

/** The Gateway servers for a set of hosts: HTTP (plain or redirecting) on 80, one HTTPS server per certificate. */
export function gatewayServers(hosts: GatewayHost[]): Server[] {
  const ref = (h: GatewayHost) => namespacedName(h.routesNamespace, h.host);
  const plain = hosts.filter((h) => !h.tls || !h.tls.httpsRedirect).map(ref);
  const redirected = hosts.filter((h) => h.tls?.httpsRedirect).map(ref);
  const servers: Server[] = [];
  if (plain.length > 0) servers.push({ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: plain });
  if (redirected.length > 0) {
    servers.push({
      port: { number: 80, name: "http-redirect", protocol: "HTTP" },
      hosts: redirected,
      tls: { httpsRedirect: true },
    });
  }
  const byCertificate = new Map<string, string[]>();
  for (const h of hosts) {
    if (!h.tls) continue;
    byCertificate.set(h.tls.credentialName, [...(byCertificate.get(h.tls.credentialName) ?? []), ref(h)]);
  }
  for (const [credentialName, certHosts] of byCertificate) {
    servers.push({
      // Port names must be unique within a Gateway.
      port: { number: 443, name: `https-${credentialName}`, protocol: "HTTPS" },
      hosts: certHosts,
      tls: { mode: "SIMPLE", credentialName, minProtocolVersion: "TLSV1_2" },
    });
  }
  return servers;
}

/**
 * The one Istio Gateway of the public ingress: every layer's hosts are servers here, so TLS and redirects are
 * configured in one place. Each host only accepts routes from the namespace named for it.
 */
export class PublicGateway extends pulumi.ComponentResource {
  /** "<namespace>/<name>", the reference a VirtualService's `gateways` uses. */
  readonly ref: string;
  /** The Gateway object. */
  readonly gateway: k8s.apiextensions.CustomResource;

  constructor(name: string, args: PublicGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:PublicGateway", name, {}, opts);
    if (args.hosts.length === 0) throw new Error(`PublicGateway ${name}: hosts must not be empty`);
    this.ref = namespacedName(args.namespace, args.name);
    this.gateway = istioObject(
      "Gateway",
      `${name}-gateway`,
      {
        name: args.name,
        namespace: args.namespace,
        labels: meshLabels("ingress"),
        spec: { selector: args.selector, servers: gatewayServers(args.hosts) },
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ ref: this.ref });
  }
}
