import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KIALI_GRAFANA_LOGIN, type ObservabilityConfig } from "../../config";
import { ISTIO_NAMESPACE, REVISION_LABEL } from "../istio";
import { meshLabels } from "../shared";
import { LogShipper } from "./alloy";
import { Grafana } from "./grafana";
import { GrafanaViewer } from "./grafana-viewer";
import { Jaeger } from "./jaeger";
import { Kiali } from "./kiali";
import { Loki, lokiUrl } from "./loki";
import { internalUrl, publicUrl, type RoutedTool } from "./paths";
import { Prometheus } from "./prometheus";
import { MonitoringRoutes } from "./routes";
import { MeshTracing } from "./tracing";

export interface ObservabilityArgs {
  /** The validated aks-mesh:observability section with its secrets. */
  config: ObservabilityConfig;
  /** Control-plane revision: the label that gives Grafana and Kiali their sidecar. */
  revision: string;
  /** Istio version: Grafana provisions that version's dashboards. */
  istioVersion: string;
  /** The public Gateway ("<namespace>/<name>") the monitoring host is a server of. */
  gatewayRef: string;
  /** The ingress gateway workload: alerts watch it, "jwt" exposure is enforced on it. */
  gateway: {
    namespace: string;
    name: string;
    selector: Record<string, string>;
    /** The gateway Namespace when the stack creates it: objects placed there wait for it (IngressGateway.namespaceReady). */
    namespaceReady?: pulumi.Resource[];
  };
  /** The address the gateway Service must hold (config staticIp.expectedAddress), for IngressGatewayIpUnreachable. */
  gatewayAddress?: string;
  /** Everything that must be ready first: istiod (injection webhook, Istio CRDs). */
  controlPlane: pulumi.Resource[];
}

/**
 * The observability layer: the monitoring namespace, one component per tool, the mesh tracing Telemetry and the
 * monitoring host's routes. The namespace is enrolled for injection; each tool's pods opt in or out (mesh.ts).
 */
export class Observability extends pulumi.ComponentResource {
  /** Public URL of every routed tool. */
  readonly urls: Partial<Record<RoutedTool, string>>;
  /** Namespace of the tools. */
  readonly namespace: string;
  /** Grafana's generated admin password (a secret). */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Secret holding Kiali's long-lived login token, with the "token" strategy. */
  readonly kialiLoginTokenSecret?: string;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Observability", name, {}, opts);
    const c = args.config;
    this.namespace = c.namespace;
    const https = c.tls !== undefined;
    const publicBase = `${https ? "https" : "http"}://${c.host}`;
    const timeoutSeconds = c.helmTimeoutSeconds;

    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: c.namespace, labels: meshLabels("observability", { [REVISION_LABEL]: args.revision }) } },
      { parent: this },
    );
    // The namespace is enrolled, so every release waits for the injection webhook, even those whose pods opt out.
    const inNamespace = { parent: this, dependsOn: [ns, ...args.controlPlane] };
    const common = { namespace: c.namespace, revision: args.revision, timeoutSeconds };

    new Prometheus(
      `${name}-prometheus`,
      {
        ...common,
        publicBase,
        server: c.prometheus,
        alertmanager: c.alertmanager,
        kubeStateMetrics: c.kubeStateMetrics,
        nodeExporter: c.nodeExporter,
        storageClass: c.storageClass,
        alerts: {
          thresholds: c.alerts,
          gateway: { namespace: args.gateway.namespace, name: args.gateway.name },
          gatewayAddress: args.gatewayAddress,
          istioNamespace: ISTIO_NAMESPACE,
          runbookBaseUrl: c.alerts.runbookBaseUrl,
        },
        slack: { channel: c.alerts.slackChannel, webhookUrl: c.secrets.slackWebhookUrl },
        email: c.alerts.email ? { ...c.alerts.email, password: c.secrets.alertEmailPassword } : undefined,
      },
      inNamespace,
    );

    const loki = new Loki(`${name}-loki`, { ...common, ...c.loki, storageClass: c.storageClass }, inNamespace);
    new LogShipper(`${name}-alloy`, { ...common, lokiUrl: loki.url, resources: c.alloy.resources }, inNamespace);
    new Jaeger(`${name}-jaeger`, { ...common, ...c.jaeger, storageClass: c.storageClass }, inNamespace);

    const grafana = new Grafana(
      `${name}-grafana`,
      {
        ...common,
        host: c.host,
        https,
        istioVersion: args.istioVersion,
        ...c.grafana,
        storageClass: c.storageClass,
        lokiUrl: lokiUrl(c.loki.mode, c.namespace),
      },
      inNamespace,
    );
    this.grafanaAdminPassword = grafana.adminPassword;

    // Kiali's dashboard links: it searches Grafana's API as a read-only user, not as the admin.
    const kialiGrafanaViewer = new GrafanaViewer(
      `${name}-kiali-grafana`,
      {
        namespace: c.namespace,
        login: KIALI_GRAFANA_LOGIN,
        secretName: "kiali-grafana-password",
        grafanaUrl: internalUrl("grafana", c.namespace),
        revision: args.revision,
        grafana: grafana.release,
      },
      inNamespace,
    );

    const kiali = new Kiali(
      `${name}-kiali`,
      {
        ...common,
        host: c.host,
        https,
        resources: c.kiali.resources,
        auth: c.kiali.auth,
        openid: c.kiali.openid,
        oidcClientSecret: c.secrets.kialiOidcClientSecret,
        grafanaViewer: {
          login: kialiGrafanaViewer.login,
          secretName: kialiGrafanaViewer.secretName,
          secret: kialiGrafanaViewer.secret,
        },
      },
      inNamespace,
    );
    this.kialiLoginTokenSecret = kiali.loginTokenSecret;

    new MeshTracing(
      `${name}-tracing`,
      { samplingPercentage: c.tracing.samplingPercentage },
      { parent: this, dependsOn: args.controlPlane },
    );

    const routes = new MonitoringRoutes(
      `${name}-routes`,
      {
        namespace: c.namespace,
        host: c.host,
        gatewayRef: args.gatewayRef,
        prometheus: c.prometheus.expose,
        alertmanager: c.alertmanager.expose,
        jwt: c.exposeAuth
          ? { ...c.exposeAuth, gatewayNamespace: args.gateway.namespace, gatewaySelector: args.gateway.selector }
          : undefined,
      },
      // The JWT objects of "jwt" exposure live in the gateway namespace.
      { parent: this, dependsOn: [ns, ...args.controlPlane, ...(args.gateway.namespaceReady ?? [])] },
    );
    this.urls = Object.fromEntries(routes.tools.map((t) => [t, publicUrl(t, c.host, https)]));
    this.registerOutputs({ urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
