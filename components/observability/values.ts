// Typed subsets of the values this layer sets, one interface per chart. Helm ignores a misspelled key silently, so every
// key here was checked against the values.yaml (and values.schema.json where shipped) of the version pinned in
// charts.ts, or against the template that reads it where the key is only read by a template (noted inline).
import type { Resources } from "../../config";
import type { AlertRule, RecordingRule, RuleFile } from "./alerts/types";

type Labels = Record<string, string>;

/** prometheus-community/prometheus 29.27.0 (+ alertmanager 1.42.0, kube-state-metrics 8.4.0, node-exporter 4.56.1). */
export interface PrometheusValues {
  server: {
    /** --web.route-prefix: the server answers under /prometheus (probes follow it). */
    prefixURL: string;
    /** --web.external-url: links Prometheus renders point at the monitoring host. */
    baseURL: string;
    global: { scrape_interval: string; evaluation_interval: string; scrape_timeout: string };
    retention: string;
    retentionSize: string;
    resources: Resources;
    podLabels: Labels;
    persistentVolume: { enabled: boolean; size: string; storageClass?: string };
  };
  /** Only the self-scrape changes: with a route prefix Prometheus serves its own metrics under it. */
  scrapeConfigs: { prometheus: { metrics_path: string } };
  serverFiles: {
    "alerting_rules.yml": RuleFile<AlertRule>;
    "recording_rules.yml": RuleFile<RecordingRule>;
  };
  alertmanager: {
    enabled: boolean;
    /** Read by the parent chart's cm.yaml template: path_prefix of the Alertmanager Prometheus alerts to. */
    prefixURL: string;
    baseURL: string;
    resources: Resources;
    podLabels: Labels;
    persistence: { enabled: boolean; size: string; storageClass?: string };
    extraSecretMounts: { name: string; mountPath: string; secretName: string; readOnly: boolean }[];
    livenessProbe: { httpGet: { path: string; port: string } };
    readinessProbe: { httpGet: { path: string; port: string } };
    config: AlertmanagerConfig;
  };
  "kube-state-metrics": { resources: Resources; podLabels: Labels };
  "prometheus-node-exporter": { resources: Resources; podLabels: Labels };
  "prometheus-pushgateway": { enabled: boolean };
}

/** alertmanager.yml (https://prometheus.io/docs/alerting/latest/configuration/), the parts used here. */
export interface AlertmanagerConfig {
  global: { resolve_timeout: string };
  route: AlertmanagerRoute;
  receivers: AlertmanagerReceiver[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
}

export interface AlertmanagerRoute {
  receiver: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: AlertmanagerRoute[];
}

export interface AlertmanagerReceiver {
  name: string;
  slack_configs?: {
    /** A file holding the webhook URL (never the URL itself: the values are stored in state). */
    api_url_file: string;
    channel: string;
    send_resolved: boolean;
    title: string;
    text: string;
  }[];
  email_configs?: {
    to: string;
    from: string;
    smarthost: string;
    auth_username?: string;
    auth_password_file?: string;
    send_resolved: boolean;
  }[];
}

/** grafana-community/grafana 11.6.1. */
export interface GrafanaValues {
  admin: { existingSecret: string; userKey: string; passwordKey: string };
  "grafana.ini": Record<string, Record<string, string | number | boolean>>;
  /** Environment variables from Secrets (the chart's envValueFrom): the OAuth client secret, never in values. */
  envValueFrom?: Record<string, { secretKeyRef: { name: string; key: string } }>;
  persistence: { enabled: boolean; type: "pvc"; size: string; storageClassName?: string };
  resources: Resources;
  podLabels: Labels;
  podAnnotations: Labels;
  downloadDashboards: { resources: Resources };
  datasources: { "datasources.yaml": { apiVersion: 1; datasources: GrafanaDatasource[] } };
  dashboardProviders: { "dashboardproviders.yaml": { apiVersion: 1; providers: GrafanaDashboardProvider[] } };
  dashboards: Record<
    string,
    Record<string, { gnetId: number; revision?: number; datasource: string } | { url: string } | { json: string }>
  >;
  /** Rollouts replace the pod before the old one releases its ReadWriteOnce volume otherwise. */
  deploymentStrategy: { type: "Recreate" };
}

export interface GrafanaDatasource {
  name: string;
  type: "prometheus" | "loki" | "jaeger" | "alertmanager";
  uid: string;
  url: string;
  access: "proxy";
  isDefault?: boolean;
  editable: boolean;
  jsonData?: Record<string, unknown>;
}

export interface GrafanaDashboardProvider {
  name: string;
  orgId: number;
  folder: string;
  type: "file";
  disableDeletion: boolean;
  editable: boolean;
  options: { path: string };
}

/** grafana-community/loki 18.11.0 (validated against its values.schema.json). */
export interface LokiValues {
  deploymentMode: "Monolithic" | "SimpleScalable";
  loki: {
    auth_enabled: boolean;
    commonConfig: { replication_factor: number };
    storage: Record<string, unknown> & { type: "filesystem" | "azure" };
    schemaConfig: {
      configs: {
        from: string;
        store: "tsdb";
        object_store: string;
        schema: "v13";
        index: { prefix: string; period: "24h" };
      }[];
    };
    limits_config: { retention_period: string; reject_old_samples: boolean; reject_old_samples_max_age: string };
    compactor: { retention_enabled: boolean; delete_request_store: string };
  };
  defaults: {
    podLabels: Labels;
    podAnnotations: Labels;
    extraArgs?: string[];
    extraEnvFrom?: { secretRef: { name: string } }[];
  };
  singleBinary: {
    replicas: number;
    resources: Resources;
    persistence: { enabled: boolean; size: string; storageClass?: string };
  };
  read: { replicas: number; resources?: Resources };
  write: { replicas: number; resources?: Resources; persistence?: { size: string; storageClass?: string } };
  backend: { replicas: number; resources?: Resources; persistence?: { size: string; storageClass?: string } };
  gateway: { enabled: boolean; resources?: Resources };
  chunksCache: { enabled: boolean };
  resultsCache: { enabled: boolean };
  lokiCanary: { enabled: boolean };
  test: { enabled: boolean };
  minio: { enabled: boolean };
}

/** grafana/alloy 1.11.1. */
export interface AlloyValues {
  alloy: {
    configMap: { create: boolean; content: string };
    mounts: { varlog: boolean; dockercontainers: boolean };
    resources: Resources;
  };
  controller: { type: "daemonset"; podLabels: Labels };
  /** The PodLogs CRD is not used: discovery is done in the Alloy config. */
  crds: { create: boolean };
}

/** jaegertracing/jaeger 4.11.1: one all-in-one Deployment configured by `userconfig` (the whole Jaeger v2 config). */
export interface JaegerValues {
  jaeger: {
    /** resources and podLabels are read by jaeger-deploy.yaml (absent from values.yaml). */
    resources: Resources;
    podLabels: Labels;
    extraVolumes: { name: string; persistentVolumeClaim: { claimName: string } }[];
    extraVolumeMounts: { name: string; mountPath: string }[];
  };
  userconfig: JaegerConfig;
}

/** Jaeger v2.19 configuration (cmd/jaeger/config*.yaml at v2.19.0). */
export interface JaegerConfig {
  service: {
    extensions: string[];
    pipelines: { traces: { receivers: string[]; processors: string[]; exporters: string[] } };
    telemetry: {
      metrics: { level: string; readers: { pull: { exporter: { prometheus: { host: string; port: number } } } }[] };
    };
  };
  extensions: {
    healthcheckv2: { use_v2: boolean; http: { endpoint: string } };
    jaeger_query: {
      base_path: string;
      storage: { traces: string };
      http: { endpoint: string };
      grpc: { endpoint: string };
    };
    jaeger_storage: {
      backends: Record<
        string,
        | { memory: { max_traces: number } }
        | { badger: { directories: { keys: string; values: string }; ephemeral: boolean; ttl: { spans: string } } }
      >;
    };
  };
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  processors: { batch: Record<string, never> };
  exporters: { jaeger_storage_exporter: { trace_storage: string } };
}

/** kiali-server 2.4.0. The chart writes most of these values into Kiali's config.yaml. */
export interface KialiValues {
  auth: {
    strategy: "token" | "openid";
    openid: { client_id?: string; issuer_uri?: string; username_claim?: string; disable_rbac?: boolean };
  };
  deployment: {
    /** Kiali shows but never changes Istio objects. */
    view_only_mode?: boolean;
    resources: Resources;
    pod_labels: Labels;
    pod_annotations: Labels;
    /** Secrets mounted where Kiali reads override credentials (/kiali-override-secrets/<name>/value.txt). */
    custom_secrets: { name: string; mount: string; optional: boolean }[];
  };
  external_services: {
    custom_dashboards: { enabled: boolean };
    istio: { root_namespace: string };
    prometheus: { url: string };
    grafana: {
      enabled: boolean;
      internal_url: string;
      external_url: string;
      /** Kiali's Auth (config/config.go): the password is read from the mounted override Secret. */
      auth: { type: "none" | "basic" | "bearer"; username?: string };
      dashboards: { name: string }[];
    };
    tracing: {
      enabled: boolean;
      provider: "jaeger";
      internal_url: string;
      /** Where Kiali links out to the Jaeger UI; absent when it is not routed. */
      external_url?: string;
      use_grpc: boolean;
    };
  };
  istio_namespace: string;
  /** Rendered into the ConfigMap; the mounted signing-key Secret overrides it at start. */
  login_token: { signing_key: string };
  server: { web_root: string; web_fqdn: string; web_schema: string };
}
