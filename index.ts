// aks-mesh: an Istio service mesh on AKS. This file reads the validated config and wires the components in the
// order they apply; every resource is built inside a component. Pulumi calls the exported function and publishes
// what it returns as the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { AksCluster, type ClusterHandle, ExistingCluster } from "./components/cluster";
import { DnsRecords, HostRoutes, IngressGateway, PublicGateway, StaticIp } from "./components/ingress";
import { ISTIO_NAMESPACE, IstioControlPlane, MeshNamespaces } from "./components/istio";
import { Observability, tracingExtensionProvider } from "./components/observability";
import { ENVIRONMENT_OUTPUT } from "./policy/contract";

/** Stack outputs: what operators need after `pulumi up`. */
interface StackOutputs {
  /** production or development (config environment); the policy pack reads it to check it runs this environment's levels. */
  [ENVIRONMENT_OUTPUT]: string;
  /** The public address of the ingress gateway. */
  ingressIp: pulumi.Output<string>;
  /** Every host the ingress gateway serves. */
  ingressHosts: string[];
  /** Istio version and control-plane revision (label namespaces istio.io/rev=<revision>). */
  istioVersion: string;
  istioRevision: string;
  /** Kubeconfig of the cluster (a secret), only when this stack created the cluster. */
  kubeconfig?: pulumi.Output<string>;
  /** URL of every monitoring tool (Kiali, Grafana, Jaeger; Prometheus and Alertmanager when exposed). */
  monitoringUrls?: Record<string, string>;
  /** Grafana's generated admin password (a secret: `pulumi stack output --show-secrets grafanaAdminPassword`). */
  grafanaAdminPassword?: pulumi.Output<string>;
  /** Secret in the monitoring namespace holding Kiali's long-lived login token (README "Stack outputs"). */
  kialiLoginTokenSecret?: string;
}

export = (): StackOutputs => {
  const cfg = loadConfig();

  // 1. The cluster, and the one Kubernetes provider every Kubernetes resource uses.
  const cluster: ClusterHandle =
    cfg.cluster.mode === "create" && cfg.cluster.create
      ? new AksCluster("cluster", {
          resourceGroupName: cfg.cluster.resourceGroup,
          clusterName: cfg.cluster.name,
          ...cfg.cluster.create,
          upsertExistingObjects: cfg.cluster.upsertExistingObjects,
        })
      : new ExistingCluster("cluster", {
          resourceGroupName: cfg.cluster.resourceGroup,
          clusterName: cfg.cluster.name,
          credentials: cfg.cluster.credentials,
          kubeloginMode: cfg.cluster.kubeloginMode,
          kubeconfigContext: cfg.cluster.kubeconfigContext,
          upsertExistingObjects: cfg.cluster.upsertExistingObjects,
        });
  const onCluster = { providers: [cluster.provider] };

  // 2. The static public IP of the ingress (protected; adopted by import when it already exists).
  const ip = new StaticIp("ingress-ip", {
    name: cfg.staticIp.name,
    resourceGroupName: cfg.staticIp.resourceGroup ?? cluster.nodeResourceGroup,
    grantNetworkContributor: cfg.staticIp.grantNetworkContributor,
    adoptRoleAssignment: cfg.staticIp.adoptRoleAssignment,
    location: cluster.location,
    zones: cfg.staticIp.zones,
    tags: cfg.staticIp.tags,
    idleTimeoutInMinutes: cfg.staticIp.idleTimeoutInMinutes,
    clusterPrincipalId: cluster.identityPrincipalId,
    adoptResourceId: cfg.staticIp.adopt?.resourceId,
    expectedAddress: cfg.staticIp.expectedAddress,
  });

  // 3. The Istio control plane: base (CRDs) -> istiod, one revision.
  const istio = new IstioControlPlane(
    "istio",
    {
      version: cfg.istio.version,
      revision: cfg.istio.revision,
      chartRepository: cfg.istio.chartRepository,
      hub: cfg.istio.hub,
      accessLog: cfg.istio.accessLog,
      outboundTrafficPolicy: cfg.istio.outboundTrafficPolicy,
      pilot: cfg.istio.pilot,
      proxyResources: cfg.istio.proxy.resources,
      timeoutSeconds: cfg.istio.helmTimeoutSeconds,
      extensionProviders: cfg.observability ? [tracingExtensionProvider(cfg.observability.namespace)] : [],
    },
    onCluster,
  );

  // 4. The ingress gateway workload, its Service bound to the static IP.
  const gateway = new IngressGateway(
    "ingress-gateway",
    {
      ...cfg.ingressGateway,
      createNamespace: cfg.ingressGateway.namespace !== ISTIO_NAMESPACE,
      revision: istio.revision,
      staticIp: { name: ip.name, resourceGroupName: ip.resourceGroupName },
      ipResources: ip.bindable,
      controlPlane: istio.ready,
    },
    onCluster,
  );

  // 5. Application namespaces enrolled for sidecar injection by this revision.
  new MeshNamespaces(
    "mesh-namespaces",
    { revision: istio.revision, namespaces: cfg.meshNamespaces },
    { ...onCluster, dependsOn: istio.ready },
  );

  // 6. Hosts: one Gateway for every host of the mesh (applications and the monitoring host), then the routes.
  const monitoring = cfg.observability;
  const hosts = [
    ...cfg.ingress.hosts.map((h) => ({ host: h.host, routesNamespace: gateway.namespace, tls: h.tls })),
    ...(monitoring ? [{ host: monitoring.host, routesNamespace: monitoring.namespace, tls: monitoring.tls }] : []),
  ];
  const publicGateway =
    hosts.length > 0
      ? new PublicGateway(
          "public-gateway",
          { name: cfg.ingress.gatewayName, namespace: gateway.namespace, selector: gateway.selector, hosts },
          { ...onCluster, dependsOn: [...istio.ready, ...gateway.namespaceReady] },
        )
      : undefined;
  if (publicGateway && cfg.ingress.hosts.length > 0) {
    new HostRoutes(
      "app-routes",
      { namespace: gateway.namespace, gatewayRef: publicGateway.ref, hosts: cfg.ingress.hosts },
      { ...onCluster, dependsOn: [...istio.ready, ...gateway.namespaceReady] },
    );
  }

  // 7. Observability: Prometheus + Alertmanager, Grafana, Loki + Alloy, Jaeger, Kiali, mesh tracing, the monitoring
  // host's routes.
  const observability =
    monitoring && publicGateway
      ? new Observability(
          "observability",
          {
            config: monitoring,
            revision: istio.revision,
            istioVersion: istio.version,
            gatewayRef: publicGateway.ref,
            gateway: {
              namespace: gateway.namespace,
              name: cfg.ingressGateway.name,
              selector: gateway.selector,
              namespaceReady: gateway.namespaceReady,
            },
            gatewayAddress: cfg.staticIp.expectedAddress,
            controlPlane: istio.ready,
          },
          onCluster,
        )
      : undefined;

  // 8. DNS A records for every host, when the zone is in Azure DNS.
  if (cfg.staticIp.dns) {
    new DnsRecords("dns", {
      zoneName: cfg.staticIp.dns.zoneName,
      resourceGroupName: cfg.staticIp.dns.resourceGroup,
      ttl: cfg.staticIp.dns.ttl,
      hosts: hosts.map((h) => h.host),
      address: ip.address,
    });
  }

  return {
    [ENVIRONMENT_OUTPUT]: cfg.environment,
    ingressIp: ip.address,
    ingressHosts: hosts.map((h) => h.host),
    istioVersion: istio.version,
    istioRevision: istio.revision,
    ...(cluster instanceof AksCluster ? { kubeconfig: pulumi.secret(cluster.kubeconfig) } : {}),
    ...(observability
      ? {
          monitoringUrls: observability.urls,
          grafanaAdminPassword: pulumi.secret(observability.grafanaAdminPassword),
          ...(observability.kialiLoginTokenSecret
            ? { kialiLoginTokenSecret: observability.kialiLoginTokenSecret }
            : {}),
        }
      : {}),
  };
};
