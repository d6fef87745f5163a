import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { meshLabels } from "../shared";
import { baselineRuleGroups } from "./alerts/anomaly";
import { type AlertContext, alertRuleGroups } from "./alerts/rules";
import { ENDPOINTS } from "./paths";
import { sidecarLabels } from "./mesh";
import { pinnedRelease } from "./release";
import type { AlertmanagerConfig, AlertmanagerReceiver, PrometheusValues } from "./values";

/** Where Alertmanager finds the notifier secrets: a Secret mounted as files, read with *_file settings. */
export const NOTIFIER_SECRET_MOUNT = "/etc/alertmanager/notifiers";

export interface PrometheusArgs {
  namespace: pulumi.Input<string>;
  /** Public base URL of the monitoring host ("https://monitoring.example.com"). */
  publicBase: string;
  /** Control-plane revision, for the sidecar labels. */
  revision: string;
  /** observability.prometheus: retention, storage, scrape interval, resources. */
  server: {
    retention: string;
    retentionSize: string;
    storageSize: string;
    scrapeInterval: string;
    resources: Resources;
  };
  /** observability.alertmanager. */
  alertmanager: { storageSize: string; resources: Resources };
  kubeStateMetrics: { resources: Resources };
  nodeExporter: { resources: Resources };
  storageClass?: string;
  /** Thresholds, gateway and runbooks of the alert rules. */
  alerts: AlertContext;
  /** Slack route (the webhook URL is a secret from config aks-mesh:slackWebhookUrl). */
  slack: { channel: string; webhookUrl: pulumi.Input<string> };
  /** Optional e-mail route for critical alerts. */
  email?: { to: string; from: string; smarthost: string; authUsername?: string; password?: pulumi.Input<string> };
  timeoutSeconds: number;
}

const SLACK_FILE = "slack-webhook-url";
const SMTP_FILE = "smtp-password";

/** The Slack message: every alert with its summary, description and runbook. Go templates, rendered by Alertmanager. */
const SLACK_TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}';
const SLACK_TEXT = [
  "{{ range .Alerts }}*{{ .Labels.severity | toUpper }}* {{ .Annotations.summary }}",
  "{{ .Annotations.description }}",
  "Runbook: {{ if .Annotations.runbook_url }}{{ .Annotations.runbook_url }}{{ else }}{{ .Annotations.runbook }}{{ end }}",
  "{{ end }}",
].join("\n");

/** alertmanager.yml: everything to Slack, critical alerts also by e-mail; a critical alert silences its warning twin. */
export function alertmanagerConfig(args: Pick<PrometheusArgs, "slack" | "email">): AlertmanagerConfig {
  const slack: AlertmanagerReceiver = {
    name: "slack",
    slack_configs: [
      {
        api_url_file: `${NOTIFIER_SECRET_MOUNT}/${SLACK_FILE}`,
        channel: args.slack.channel,
        send_resolved: true,
        title: SLACK_TITLE,
        text: SLACK_TEXT,
      },
    ],
  };
  const receivers: AlertmanagerReceiver[] = [slack];
  const routes = [];
  if (args.email) {
    receivers.push({
      name: "email",
      email_configs: [
        {
          to: args.email.to,
          from: args.email.from,
          smarthost: args.email.smarthost,
          ...(args.email.authUsername ? { auth_username: args.email.authUsername } : {}),
          ...(args.email.password ? { auth_password_file: `${NOTIFIER_SECRET_MOUNT}/${SMTP_FILE}` } : {}),
          send_resolved: true,
        },
      ],
    });
    routes.push({ receiver: "email", matchers: ['severity="critical"'], continue: true });
  }
  routes.push({ receiver: "slack" });
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: "slack",
      group_by: ["alertname", "namespace", "destination_service_namespace", "destination_service_name"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes,
    },
    receivers,
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["alertname", "namespace"],
      },
    ],
  };
}

/**
 * Prometheus scraping the mesh, with kube-state-metrics, node-exporter and Alertmanager. Istio's sidecars, gateways and
 * istiod carry prometheus.io/scrape annotations (merged metrics on :15020/stats/prometheus, istiod on :15014), which the
 * chart's kubernetes-pods job scrapes: the same jobs Istio's own addon relies on. The alert and recording rules are
 * typed objects (alerts/); the Slack webhook reaches Alertmanager only as a mounted file.
 */
export class Prometheus extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  /** The Secret holding the notifier credentials (Slack webhook URL, SMTP password). */
  readonly notifiers: k8s.core.v1.Secret;

  constructor(name: string, args: PrometheusArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Prometheus", name, {}, opts);
    const notifierSecretName = "alertmanager-notifiers";
    this.notifiers = new k8s.core.v1.Secret(
      `${name}-notifiers`,
      {
        metadata: { name: notifierSecretName, namespace: args.namespace, labels: meshLabels("observability") },
        type: "Opaque",
        stringData: {
          [SLACK_FILE]: pulumi.secret(args.slack.webhookUrl),
          ...(args.email?.password ? { [SMTP_FILE]: pulumi.secret(args.email.password) } : {}),
        },
      },
      { parent: this },
    );

    const prom = ENDPOINTS.prometheus;
    const am = ENDPOINTS.alertmanager;
    const volume = (size: string) => ({
      enabled: true,
      size,
      ...(args.storageClass ? { storageClass: args.storageClass } : {}),
    });
    const values: PrometheusValues = {
      server: {
        prefixURL: prom.path,
        baseURL: `${args.publicBase}${prom.path}`,
        global: {
          scrape_interval: args.server.scrapeInterval,
          evaluation_interval: args.server.scrapeInterval,
          scrape_timeout: "10s",
        },
        retention: args.server.retention,
        retentionSize: args.server.retentionSize,
        resources: args.server.resources,
        podLabels: sidecarLabels("prometheus", args.revision),
        persistentVolume: volume(args.server.storageSize),
      },
      scrapeConfigs: { prometheus: { metrics_path: `${prom.path}/metrics` } },
      serverFiles: {
        "alerting_rules.yml": { groups: alertRuleGroups(args.alerts) },
        "recording_rules.yml": { groups: baselineRuleGroups() },
      },
      alertmanager: {
        enabled: true,
        prefixURL: am.path,
        baseURL: `${args.publicBase}${am.path}`,
        resources: args.alertmanager.resources,
        podLabels: sidecarLabels("prometheus", args.revision),
        persistence: volume(args.alertmanager.storageSize),
        extraSecretMounts: [
          { name: "notifiers", mountPath: NOTIFIER_SECRET_MOUNT, secretName: notifierSecretName, readOnly: true },
        ],
        // With the external URL's path as route prefix, "/" answers 404: probe the prefixed health endpoints.
        livenessProbe: { httpGet: { path: `${am.path}/-/healthy`, port: "http" } },
        readinessProbe: { httpGet: { path: `${am.path}/-/ready`, port: "http" } },
        config: alertmanagerConfig(args),
      },
      "kube-state-metrics": {
        resources: args.kubeStateMetrics.resources,
        podLabels: sidecarLabels("prometheus", args.revision),
      },
      // Host-network pods are never injected; the label says so explicitly all the same.
      "prometheus-node-exporter": {
        resources: args.nodeExporter.resources,
        podLabels: sidecarLabels("prometheus", args.revision),
      },
      // Nothing here pushes metrics; one pod less.
      "prometheus-pushgateway": { enabled: false },
    };
    this.release = pinnedRelease(
      `${name}-release`,
      "prometheus",
      { name: prom.release, namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      { parent: this, dependsOn: [this.notifiers] },
    );
    this.registerOutputs({});
  }
}
