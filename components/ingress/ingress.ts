import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "../../config";
import type { ClusterHandle } from "../cluster";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { DnsRecords } from "./dns-records";
import type { GatewayHandle } from "./handle";
import { faultAnnotations, routeSettings } from "../traffic/routes";
import { HostRoutes } from "./host-routes";
import { IngressGateway } from "./ingress-gateway";
import { type GatewayHost, PublicGateway } from "./public-gateway";
import { StaticIp } from "./static-ip";

export interface IngressArgs {
  /** The validated stack config; this area reads staticIp, ingressGateway, ingress, and the hosts other areas serve. */
  config: MeshConfig;
  handles: {
    cluster: ClusterHandle;
    controlPlane: ControlPlaneHandle;
    /** The application namespaces: a delegate VirtualService waits for the namespace it goes to. */
    mesh: MeshHandle;
  };
}

/**
 * The public hosts every area serves on the one Gateway: the applications' (config ingress.hosts) and the monitoring
 * host (config observability.host). Each host admits routes only from the namespace that owns it.
 */
export function publicHosts(config: MeshConfig): GatewayHost[] {
  const gatewayNamespace = config.ingressGateway.namespace;
  const monitoring = config.observability;
  // A Secret cert-manager issues through the ACME issuer is answered by HTTP-01 on port 80 (security.certificates).
  const certificates = config.security.certificates;
  const http01 = new Set(certificates?.acme ? certificates.certificates.map((c) => c.secretName) : []);
  const tls = (t: { credentialName: string; httpsRedirect: boolean } | undefined) =>
    t ? { ...t, ...(http01.has(t.credentialName) ? { http01: true } : {}) } : undefined;
  return [
    ...config.ingress.hosts.map((h) => ({ host: h.host, routesNamespace: gatewayNamespace, tls: tls(h.tls) })),
    ...(monitoring ? [{ host: monitoring.host, routesNamespace: monitoring.namespace, tls: tls(monitoring.tls) }] : []),
  ];
}

/**
 * The public ingress area: the protected static IP, the gateway workload whose LoadBalancer holds it, the one Istio
 * Gateway every public host is a server of, the applications' routes, and the DNS records. What other areas need of it
 * is its `handle`.
 *
 * These components were created at the top level before this area component existed; each answers to its old URN
 * through `{ parent: rootStackResource }`, and the engine carries their children along (pulumi/pulumi
 * step_generator.go generateAliases), so nothing deployed is replaced (test/urns).
 */
export class Ingress extends pulumi.ComponentResource {
  readonly handle: GatewayHandle;
  /** The static IP (protected). */
  readonly staticIp: StaticIp;

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:Ingress", name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const { config, handles } = args;
    const { cluster, controlPlane, mesh } = handles;
    const wasTopLevel = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };

    // 1. The static public IP (protected; adopted by import when it already exists).
    const ipConfig = config.staticIp;
    this.staticIp = new StaticIp(
      "ingress-ip",
      {
        name: ipConfig.name,
        resourceGroupName: ipConfig.resourceGroup ?? cluster.nodeResourceGroup,
        grantNetworkContributor: ipConfig.grantNetworkContributor,
        adoptRoleAssignment: ipConfig.adoptRoleAssignment,
        location: cluster.location,
        zones: ipConfig.zones,
        tags: ipConfig.tags,
        idleTimeoutInMinutes: ipConfig.idleTimeoutInMinutes,
        clusterPrincipalId: cluster.identityPrincipalId,
        adoptResourceId: ipConfig.adopt?.resourceId,
        expectedAddress: ipConfig.expectedAddress,
      },
      wasTopLevel,
    );
    const ip = this.staticIp;

    // 2. The gateway workload, its Service bound to the static IP, created once istiod injects.
    const gw = config.ingressGateway;
    const gateway = new IngressGateway(
      "ingress-gateway",
      {
        ...gw,
        // The control-plane namespace exists already (the base release creates it); any other one is the gateway's.
        createNamespace: gw.namespace !== controlPlane.namespace,
        // Its own tag or revision moves the gateway alone during a canary (config ingressGateway.revision).
        revision: gw.revision ?? controlPlane.injectionRevision,
        staticIp: { name: ip.name, resourceGroupName: ip.resourceGroupName },
        ipResources: ip.bindable,
        controlPlane: controlPlane.ready,
      },
      wasTopLevel,
    );

    // 3. One Gateway for every host of the mesh, then the applications' routes.
    const hosts = publicHosts(config);
    const afterGateway = [...controlPlane.ready, ...gateway.namespaceReady];
    const publicGateway =
      hosts.length > 0
        ? new PublicGateway(
            "public-gateway",
            { name: config.ingress.gatewayName, namespace: gateway.namespace, selector: gateway.selector, hosts },
            { ...wasTopLevel, dependsOn: afterGateway },
          )
        : undefined;
    if (publicGateway && config.ingress.hosts.length > 0) {
      new HostRoutes(
        "app-routes",
        {
          namespace: gateway.namespace,
          gatewayRef: publicGateway.ref,
          hosts: config.ingress.hosts,
          delegateDependsOn: (namespace) => mesh.namespaceReady(namespace),
          // The traffic area's route settings of the service (timeout, retries, fault) on its delegated route.
          delegateSettings: (service) => {
            const t = config.traffic.services[service];
            return { route: routeSettings(t), annotations: faultAnnotations(t) };
          },
        },
        { ...wasTopLevel, dependsOn: afterGateway },
      );
    }

    // 4. DNS A records for every host, when the zone is in Azure DNS.
    const dns = ipConfig.dns;
    if (dns) {
      new DnsRecords(
        "dns",
        {
          zoneName: dns.zoneName,
          resourceGroupName: dns.resourceGroup,
          ttl: dns.ttl,
          hosts: hosts.map((h) => h.host),
          address: ip.address,
        },
        wasTopLevel,
      );
    }

    this.handle = {
      namespace: gateway.namespace,
      ...(gateway.namespaceResource ? { namespaceResource: gateway.namespaceResource } : {}),
      namespaceReady: gateway.namespaceReady,
      name: gateway.workloadName,
      serviceAccount: gateway.serviceAccountName,
      selector: gateway.selector,
      ref: publicGateway?.ref ?? `${gateway.namespace}/${config.ingress.gatewayName}`,
      address: ip.address,
      ...(ipConfig.expectedAddress ? { expectedAddress: ipConfig.expectedAddress } : {}),
      hosts: hosts.map((h) => h.host),
    };
    this.registerOutputs({ address: ip.address, hosts: this.handle.hosts });
  }
}
