// aks-mesh: an Istio service mesh on AKS. This file reads the validated config once and makes one call per area, in
// the order they apply; each area is a component that takes { config, handles } and hands the later areas a handle.
// Pulumi calls the exported function and publishes what it returns as the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { cluster as clusterArea } from "./components/cluster";
import { Ingress } from "./components/ingress";
import { IstioControlPlane } from "./components/istio";
import { Mesh } from "./components/mesh";
import { Observability } from "./components/observability";
import { Security } from "./components/security";
import { Traffic } from "./components/traffic";
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
  const config = loadConfig();

  const cluster = clusterArea("cluster", { config });
  const controlPlane = new IstioControlPlane("istio", { config, handles: { cluster } });
  const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
  const gateway = new Ingress("ingress", { config, handles: { cluster, controlPlane, mesh } }).handle;
  new Traffic("traffic", { config, handles: { cluster, controlPlane, mesh, gateway } });
  const observability = Observability.ifEnabled("observability", {
    config,
    handles: { cluster, controlPlane, gateway },
  });
  new Security("security", {
    config,
    handles: { cluster, controlPlane, mesh, gateway, ...(observability ? { observability } : {}) },
  });

  return {
    [ENVIRONMENT_OUTPUT]: config.environment,
    ingressIp: gateway.address,
    ingressHosts: gateway.hosts,
    istioVersion: controlPlane.version,
    istioRevision: controlPlane.revision,
    ...(cluster.created ? { kubeconfig: pulumi.secret(cluster.kubeconfig) } : {}),
    ...(observability?.outputs ?? {}),
  };
};
