import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type IstioSpecs, istioObject, meshLabels, namespacedName } from "../shared";

/** A host served on the public gateway, and the namespace whose VirtualServices may route it. */
export interface GatewayHost {
  host: string;
  /** Namespace allowed to bind routes for this host (server host "<namespace>/<host>"). */
  routesNamespace: string;
  /** HTTPS with this Kubernetes TLS Secret (in the gateway namespace); HTTP redirects to HTTPS unless told not to. */
  tls?: {
    credentialName: string;
    httpsRedirect: boolean;
    /**
     * The Secret is issued through an ACME HTTP-01 challenge, answered on port 80 under /.well-known/acme-challenge/
     * (config security.certificates.issue). Default false.
     */
    http01?: boolean;
  };
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

/**
 * Whether a host's port 80 is served by the challenge Gateway (see challengeServers): it redirects to HTTPS and its
 * certificate is issued through HTTP-01.
 */
function redirectsBesideChallenge(h: GatewayHost): boolean {
  return h.tls?.httpsRedirect === true && h.tls.http01 === true;
}

/**
 * The Gateway servers for a set of hosts: HTTP (plain or redirecting) on 80, one HTTPS server per certificate. A
 * redirecting host whose certificate comes through HTTP-01 has no port-80 server here (challengeServers has it).
 */
export function gatewayServers(hosts: GatewayHost[]): Server[] {
  const ref = (h: GatewayHost) => namespacedName(h.routesNamespace, h.host);
  const plain = hosts.filter((h) => !h.tls || !h.tls.httpsRedirect).map(ref);
  const redirected = hosts.filter((h) => h.tls?.httpsRedirect && !redirectsBesideChallenge(h)).map(ref);
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
 * Port 80 of the hosts that redirect to HTTPS and whose certificate is issued through an ACME HTTP-01 challenge, in a
 * Gateway of its own. `tls.httpsRedirect` cannot serve them: istiod sets `require_tls: ALL` on the whole virtual host
 * of a host that any port-80 server redirects, which would redirect the challenge too (1.23.4 and 1.25.5
 * pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig). So this server is plain HTTP and carries two
 * kinds of routes for each host:
 * - the challenge: cert-manager's solver Ingress (class istio), which istiod turns into a Gateway with a port-80 "*"
 *   server and an exact-path route (pilot/pkg/config/kube/ingress/conversion.go); istiod merges it into the same
 *   virtual host;
 * - the redirect VirtualService of this component: one route without a match, i.e. "/", which istiod orders after
 *   every other route of the host (route.go SortVHostRoutes), so everything but the challenge is redirected.
 * The application's VirtualServices bind the main Gateway only, whose servers for these hosts are HTTPS: no
 * application route is ever served over plain HTTP.
 */
export function challengeServers(gatewayNamespace: string, hosts: GatewayHost[]): Server[] {
  const challenged = hosts.filter(redirectsBesideChallenge).map((h) => namespacedName(gatewayNamespace, h.host));
  if (challenged.length === 0) return [];
  return [{ port: { number: 80, name: "http-acme", protocol: "HTTP" }, hosts: challenged }];
}

/** The only route of the challenge Gateway besides the ACME challenge: everything else goes to HTTPS (301). */
export const HTTPS_REDIRECT_ROUTE = { name: "https-redirect", redirect: { scheme: "https", redirectCode: 301 } };

/**
 * The one Istio Gateway of the public ingress: every layer's hosts are servers here, so TLS and redirects are
 * configured in one place. Each host only accepts routes from the namespace named for it.
 */
export class PublicGateway extends pulumi.ComponentResource {
  /** "<namespace>/<name>", the reference a VirtualService's `gateways` uses. */
  readonly ref: string;
  /** The Gateway object. */
  readonly gateway: k8s.apiextensions.CustomResource;
  /** The challenge Gateway and its redirect VirtualService, when a host's certificate comes through HTTP-01. */
  readonly challenge?: { gateway: k8s.apiextensions.CustomResource; redirect: k8s.apiextensions.CustomResource };

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
    const challenge = challengeServers(args.namespace, args.hosts);
    if (challenge.length > 0) {
      const challengeName = `${args.name}-acme`;
      const gateway = istioObject(
        "Gateway",
        `${name}-acme-gateway`,
        {
          name: challengeName,
          namespace: args.namespace,
          labels: meshLabels("ingress"),
          spec: { selector: args.selector, servers: challenge },
        },
        { parent: this, dependsOn: opts?.dependsOn },
      );
      const redirect = istioObject(
        "VirtualService",
        `${name}-acme-redirect`,
        {
          name: `${challengeName}-https-redirect`,
          namespace: args.namespace,
          labels: meshLabels("ingress"),
          spec: {
            hosts: args.hosts.filter(redirectsBesideChallenge).map((h) => h.host),
            gateways: [namespacedName(args.namespace, challengeName)],
            http: [HTTPS_REDIRECT_ROUTE],
          },
        },
        { parent: this, dependsOn: [gateway] },
      );
      this.challenge = { gateway, redirect };
    }
    this.registerOutputs({ ref: this.ref });
  }
}
