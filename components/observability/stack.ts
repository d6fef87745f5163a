import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KIALI_GRAFANA_LOGIN, type MeshConfig } from "../../config";
import { REVISION_LABEL } from "../../policy/contract";
import type { ClusterHandle } from "../cluster";
import type { GatewayHandle } from "../ingress/handle";
import type { ControlPlaneHandle } from "../istio/handle";
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
  /** The validated stack config; this area reads its observability section (with its secrets). */
  config: MeshConfig;
  handles: {
    /** The cluster whose Kubernetes provider every object of the area uses. */
    cluster: ClusterHandle;
    /** istiod: the injection revision Grafana and Kiali get their sidecar from, its version's dashboards, its namespace. */
    controlPlane: ControlPlaneHandle;
    /** The ingress: the public Gateway the monitoring host is a server of; alerts watch its workload and address. */
    gateway: GatewayHandle;
  };
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
  /** What an object placed in the tools' namespace waits for: the Namespace this area creates. */
  readonly namespaceReady: pulumi.Resource[];
  /** Grafana's generated admin password (a secret). */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** What a client of Prometheus's API waits for (its release; the security area's mTLS check queries it). */
  readonly prometheusReady: pulumi.Resource[];
  /** Secret holding Kiali's long-lived login token, with the "token" strategy. */
  readonly kialiLoginTokenSecret?: string;
  /** The stack outputs of this area (README "Stack outputs"); the admin password as a secret. */
  readonly outputs: {
    monitoringUrls: Partial<Record<RoutedTool, string>>;
    grafanaAdminPassword: pulumi.Output<string>;
    kialiLoginTokenSecret?: string;
  };

  /** The area when the stack enables it (config observability), else nothing. */
  static ifEnabled(
    name: string,
    args: ObservabilityArgs,
    opts?: pulumi.ComponentResourceOptions,
  ): Observability | undefined {
    return args.config.observability ? new Observability(name, args, opts) : undefined;
  }

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "aks-mesh:observability:Observability",
      name,
      {},
      {
        ...opts,
        providers: [args.handles.cluster.provider],
      },
    );
    const c = args.config.observability;
    if (!c) throw new Error(`Observability ${name}: config observability is not enabled (use Observability.ifEnabled)`);
    const { controlPlane, gateway } = args.handles;
    this.namespace = c.namespace;
    const https = c.tls !== undefined;
    const publicBase = `${https ? "https" : "http"}://${c.host}`;
    const timeoutSeconds = c.helmTimeoutSeconds;

    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: c.namespace,
          labels: meshLabels("observability", { [REVISION_LABEL]: controlPlane.injectionRevision }),
        },
      },
      { parent: this },
    );
    this.namespaceReady = [ns];
    // The namespace is enrolled, so every release waits for the injection webhook, even those whose pods opt out.
    const inNamespace = { parent: this, dependsOn: [ns, ...controlPlane.ready] };
    const common = { namespace: c.namespace, revision: controlPlane.injectionRevision, timeoutSeconds };

    const prometheus = new Prometheus(
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
          gateway: { namespace: gateway.namespace, name: gateway.name },
          gatewayAddress: gateway.expectedAddress,
          istioNamespace: controlPlane.namespace,
          runbookBaseUrl: c.alerts.runbookBaseUrl,
        },
        slack: { channel: c.alerts.slackChannel, webhookUrl: c.secrets.slackWebhookUrl },
        email: c.alerts.email ? { ...c.alerts.email, password: c.secrets.alertEmailPassword } : undefined,
      },
      inNamespace,
    );
    this.prometheusReady = [prometheus];

    const loki = new Loki(`${name}-loki`, { ...common, ...c.loki, storageClass: c.storageClass }, inNamespace);
    new LogShipper(`${name}-alloy`, { ...common, lokiUrl: loki.url, resources: c.alloy.resources }, inNamespace);
    new Jaeger(`${name}-jaeger`, { ...common, ...c.jaeger, storageClass: c.storageClass }, inNamespace);

    const grafana = new Grafana(
      `${name}-grafana`,
      {
        ...common,
        host: c.host,
        https,
        istioVersion: controlPlane.version,
        ...c.grafana,
        storageClass: c.storageClass,
        lokiUrl: lokiUrl(c.loki.mode, c.namespace),
        oauthClientSecret: c.secrets.grafanaOauthClientSecret,
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
        revision: controlPlane.injectionRevision,
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
        istioNamespace: controlPlane.namespace,
        resources: c.kiali.resources,
        auth: c.kiali.auth,
        openid: c.kiali.openid,
        oidcClientSecret: c.secrets.kialiOidcClientSecret,
        viewOnly: c.kiali.viewOnly,
        jaegerRouted: c.jaeger.expose !== "none",
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
      { samplingPercentage: c.tracing.samplingPercentage, rootNamespace: controlPlane.namespace },
      { parent: this, dependsOn: controlPlane.ready },
    );

    const routes = new MonitoringRoutes(
      `${name}-routes`,
      {
        namespace: c.namespace,
        host: c.host,
        gatewayRef: gateway.ref,
        prometheus: c.prometheus.expose,
        alertmanager: c.alertmanager.expose,
        jaeger: c.jaeger.expose,
        jwt: c.exposeAuth
          ? { ...c.exposeAuth, gatewayNamespace: gateway.namespace, gatewaySelector: gateway.selector }
          : undefined,
      },
      // The JWT objects of "jwt" exposure live in the gateway namespace.
      { parent: this, dependsOn: [ns, ...controlPlane.ready, ...gateway.namespaceReady] },
    );
    this.urls = Object.fromEntries(routes.tools.map((t) => [t, publicUrl(t, c.host, https)]));
    this.outputs = {
      monitoringUrls: this.urls,
      grafanaAdminPassword: pulumi.secret(this.grafanaAdminPassword),
      ...(this.kialiLoginTokenSecret ? { kialiLoginTokenSecret: this.kialiLoginTokenSecret } : {}),
    };
    this.registerOutputs({ urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
