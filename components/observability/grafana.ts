import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Resources } from "../../config";
import { meshLabels } from "../shared";
import { sidecarLabels } from "./mesh";
import { DATASOURCE_UIDS, overviewDashboard } from "./overview-dashboard";
import { ENDPOINTS, internalUrl } from "./paths";
import { pinnedRelease } from "./release";
import type { GrafanaDatasource, GrafanaValues } from "./values";

/**
 * Istio's dashboards on grafana.com (the ones Istio 1.23's addon bundles): mesh, service, workload, control plane,
 * performance. Downloaded at pod start by the chart's init container. No revision is pinned: grafana.com keeps no
 * record of which revision matches Istio 1.23, so the latest is taken; pin `revision` here once checked.
 */
export const ISTIO_DASHBOARDS = {
  "istio-mesh": 7639,
  "istio-service": 7636,
  "istio-workload": 7630,
  "istio-control-plane": 7645,
  "istio-performance": 11829,
} as const;

export interface GrafanaArgs {
  namespace: pulumi.Input<string>;
  /** Monitoring host and scheme: root_url is built from them. */
  host: string;
  https: boolean;
  revision: string;
  /** observability.grafana. */
  adminUser: string;
  storageSize: string;
  storageClass?: string;
  resources: Resources;
  anonymousViewer: boolean;
  /** Loki's query base URL (depends on the Loki mode). */
  lokiUrl: string;
  timeoutSeconds: number;
}

/** The provisioned datasources: metrics, logs, traces and alerts, linked to each other. */
export function grafanaDatasources(namespace: string, lokiUrl: string): GrafanaDatasource[] {
  return [
    {
      name: "Prometheus",
      type: "prometheus",
      uid: DATASOURCE_UIDS.prometheus,
      url: internalUrl("prometheus", namespace),
      access: "proxy",
      isDefault: true,
      editable: false,
      jsonData: { httpMethod: "POST", timeInterval: "30s" },
    },
    {
      name: "Loki",
      type: "loki",
      uid: DATASOURCE_UIDS.loki,
      url: lokiUrl,
      access: "proxy",
      editable: false,
      jsonData: {
        maxLines: 1000,
        // Logs -> trace: a W3C trace id in a log line (traceparent, trace_id, traceId) opens the trace in Jaeger.
        // "$$" escapes "$" in provisioning files, where "${...}" would be read as an environment variable.
        derivedFields: [
          {
            name: "TraceID",
            matcherRegex: '(?:traceparent|trace_id|traceId)\\\\?"?[:=]\\s*\\\\?"?(?:00-)?([0-9a-f]{32})',
            url: "$${__value.raw}",
            datasourceUid: DATASOURCE_UIDS.jaeger,
          },
        ],
      },
    },
    {
      name: "Jaeger",
      type: "jaeger",
      uid: DATASOURCE_UIDS.jaeger,
      url: internalUrl("jaeger", namespace),
      access: "proxy",
      editable: false,
      jsonData: {
        // Trace -> logs: from a span, the logs of its namespace (Istio tags every span with istio.namespace) around
        // the span's time; lines that carry the trace id are the ones the derived field above links back.
        tracesToLogsV2: {
          datasourceUid: DATASOURCE_UIDS.loki,
          spanStartTimeShift: "-5m",
          spanEndTimeShift: "5m",
          filterByTraceID: false,
          filterBySpanID: false,
          customQuery: true,
          query: '{namespace="$${__span.tags["istio.namespace"]}"}',
        },
      },
    },
    {
      name: "Alertmanager",
      type: "alertmanager",
      uid: DATASOURCE_UIDS.alertmanager,
      url: internalUrl("alertmanager", namespace),
      access: "proxy",
      editable: false,
      jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
    },
  ];
}

/**
 * Grafana, one instance for metrics, logs and traces, served under /grafana on the monitoring host. The admin password
 * is generated (@pulumi/random) into a Kubernetes Secret the chart reads through admin.existingSecret, so it is never
 * in the release values.
 */
export class Grafana extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  /** The generated admin password (a secret). */
  readonly adminPassword: pulumi.Output<string>;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Grafana", name, {}, opts);
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 32, special: false },
      { parent: this },
    );
    this.adminPassword = password.result;
    const secretName = "grafana-admin";
    const secret = new k8s.core.v1.Secret(
      `${name}-admin`,
      {
        metadata: { name: secretName, namespace: args.namespace, labels: meshLabels("observability") },
        type: "Opaque",
        stringData: { "admin-user": args.adminUser, "admin-password": password.result },
      },
      { parent: this },
    );

    const e = ENDPOINTS.grafana;
    const rootUrl = `${args.https ? "https" : "http"}://${args.host}${e.path}/`;
    const values = pulumi.output(args.namespace).apply((namespace): GrafanaValues => ({
      admin: { existingSecret: secretName, userKey: "admin-user", passwordKey: "admin-password" },
      "grafana.ini": {
        server: { domain: args.host, root_url: rootUrl, serve_from_sub_path: true },
        "auth.anonymous": { enabled: args.anonymousViewer, org_role: "Viewer" },
        users: { allow_sign_up: false },
        security: { cookie_secure: args.https, disable_gravatar: true },
        analytics: { check_for_updates: false, reporting_enabled: false },
      },
      persistence: {
        enabled: true,
        type: "pvc",
        size: args.storageSize,
        ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
      },
      deploymentStrategy: { type: "Recreate" },
      resources: args.resources,
      podLabels: sidecarLabels("grafana", args.revision),
      // The dashboard download runs in an init container before the sidecar exists: keep HTTPS out of the redirect.
      podAnnotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": "443" },
      downloadDashboards: {
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      },
      datasources: { "datasources.yaml": { apiVersion: 1, datasources: grafanaDatasources(namespace, args.lokiUrl) } },
      dashboardProviders: {
        "dashboardproviders.yaml": {
          apiVersion: 1,
          providers: ["istio", "aks-mesh"].map((p) => ({
            name: p,
            orgId: 1,
            folder: p === "istio" ? "Istio" : "aks-mesh",
            type: "file",
            disableDeletion: true,
            editable: false,
            options: { path: `/var/lib/grafana/dashboards/${p}` },
          })),
        },
      },
      dashboards: {
        istio: Object.fromEntries(
          Object.entries(ISTIO_DASHBOARDS).map(([key, gnetId]) => [key, { gnetId, datasource: "Prometheus" }]),
        ),
        "aks-mesh": { overview: { json: JSON.stringify(overviewDashboard()) } },
      },
    }));
    this.release = pinnedRelease(
      `${name}-release`,
      "grafana",
      { name: e.release, namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      { parent: this, dependsOn: [secret] },
    );
    this.registerOutputs({ adminPassword: this.adminPassword });
  }
}
