// aks-mesh: an Istio service mesh on AKS. This file reads the validated config and wires the components in the
// order they apply; every resource is built inside a component. Pulumi calls the exported function and publishes
// what it returns as the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { AksCluster, type ClusterHandle, ExistingCluster } from "./components/cluster";
import { Ingress } from "./components/ingress";
import type { ControlPlaneHandle } from "./components/istio/handle";
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

  const controlPlane: ControlPlaneHandle = {
    version: istio.version,
    revision: istio.revision,
    injectionRevision: istio.revision,
    namespace: ISTIO_NAMESPACE,
    ready: istio.ready,
    meshConfig: { extensionProviders: [] },
  };
  const ingress = new Ingress("ingress", { config: cfg, handles: { cluster, controlPlane } }, onCluster);
  const gateway = ingress.handle;

  // 5. Application namespaces enrolled for sidecar injection by this revision.
  new MeshNamespaces(
    "mesh-namespaces",
    { revision: istio.revision, namespaces: cfg.meshNamespaces },
    { ...onCluster, dependsOn: istio.ready },
  );
  const monitoring = cfg.observability;

  // 7. Observability: Prometheus + Alertmanager, Grafana, Loki + Alloy, Jaeger, Kiali, mesh tracing, the monitoring
  // host's routes.
  const observability = monitoring
    ? new Observability(
        "observability",
        {
          config: monitoring,
          revision: istio.revision,
          istioVersion: istio.version,
          gatewayRef: gateway.ref,
          gateway: {
            namespace: gateway.namespace,
            name: gateway.name,
            selector: gateway.selector,
            namespaceReady: gateway.namespaceReady,
          },
          gatewayAddress: cfg.staticIp.expectedAddress,
          controlPlane: istio.ready,
        },
        onCluster,
      )
    : undefined;

  return {
    [ENVIRONMENT_OUTPUT]: cfg.environment,
    ingressIp: gateway.address,
    ingressHosts: gateway.hosts,
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
