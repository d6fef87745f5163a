// The alert rules, grouped by theme. Each has a severity, a summary, a description and a runbook in docs/runbooks/.
// Metric names come from Istio's standard metrics and istiod's own (the dashboards Istio 1.23.4 ships read the same
// ones), kube-state-metrics, node-exporter, Loki and Prometheus.
import { SERIES, SERVICE_LABELS } from "./anomaly";
import { type AlertRule, type RuleGroup, runbookAnnotations, type Severity } from "./types";

export interface AlertThresholds {
  /** 5xx share that pages (observability.alerts.errorRatio). */
  errorRatio: number;
  /** p99 latency in ms that warns (observability.alerts.latencyP99Ms). */
  latencyP99Ms: number;
  nodeMemoryWarningPercent: number;
  nodeMemoryCriticalPercent: number;
  certExpiryDays: number;
  anomalyZScore: number;
}

export interface AlertContext {
  thresholds: AlertThresholds;
  /** The ingress gateway Deployment/Service and its namespace. */
  gateway: { namespace: string; name: string };
  /** The address the gateway Service must hold (config staticIp.expectedAddress), when known. */
  gatewayAddress?: string;
  /** Namespace of istiod. */
  istioNamespace: string;
  /** Base URL of the runbooks on the Git host (observability.alerts.runbookBaseUrl). */
  runbookBaseUrl?: string;
}

/** Requests per second below which a service's ratios are noise (one request every ten seconds). */
const MIN_RPS = 0.1;

export function alertRuleGroups(ctx: AlertContext): RuleGroup<AlertRule>[] {
  const t = ctx.thresholds;
  const rule = (
    alert: string,
    severity: Severity,
    expr: string,
    forDuration: string,
    summary: string,
    description: string,
  ): AlertRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description, ...runbookAnnotations(alert, ctx.runbookBaseUrl) },
  });
  const svc = "{{ $labels.destination_service_name }}.{{ $labels.destination_service_namespace }}";
  const gw = `namespace="${ctx.gateway.namespace}"`;
  const busy = `${SERIES.rate} > ${MIN_RPS}`;

  return [
    {
      name: "mesh-golden-signals",
      rules: [
        rule(
          "IstioServiceHigh5xxRatio",
          "critical",
          `${SERIES.errorRatio} > ${t.errorRatio} and on (${SERVICE_LABELS}) ${busy}`,
          "5m",
          `${svc} answers more than ${t.errorRatio * 100}% of requests with 5xx`,
          `{{ $value | humanizePercentage }} of the requests to ${svc} failed with a 5xx over the last 5 minutes.`,
        ),
        rule(
          "IstioServiceHighLatencyP99",
          "warning",
          `histogram_quantile(0.99, sum by (${SERVICE_LABELS}, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[5m]))) > ${t.latencyP99Ms} and on (${SERVICE_LABELS}) ${busy}`,
          "10m",
          `${svc} p99 latency above ${t.latencyP99Ms} ms`,
          `The slowest 1% of requests to ${svc} take {{ $value | humanize }} ms or more (server side, measured by its sidecar).`,
        ),
      ],
    },
    {
      name: "service-anomalies",
      rules: [
        rule(
          "ServiceTrafficAnomaly",
          "warning",
          `abs(${SERIES.rateZScore}) > ${t.anomalyZScore} and on (${SERVICE_LABELS}) ${busy}`,
          "15m",
          `${svc} traffic left its weekly band`,
          `The request rate of ${svc} is {{ $value | humanize }} standard deviations from what the same hour of the last three weeks predicts.`,
        ),
        rule(
          "ServiceErrorRatioAnomaly",
          "warning",
          `${SERIES.errorZScore} > ${t.anomalyZScore} and on (${SERVICE_LABELS}) ${busy}`,
          "15m",
          `${svc} 5xx ratio is unusually high for it`,
          `The 5xx ratio of ${svc} is {{ $value | humanize }} standard deviations above its one-week mean, below the paging threshold but unusual.`,
        ),
      ],
    },
    {
      name: "ingress",
      rules: [
        rule(
          "IngressGatewayDown",
          "critical",
          `(sum(kube_deployment_status_replicas_available{${gw}, deployment="${ctx.gateway.name}"}) or vector(0)) < 1`,
          "2m",
          "The ingress gateway has no available replica",
          `Deployment ${ctx.gateway.namespace}/${ctx.gateway.name} has no ready pod: every public host is down.`,
        ),
        rule(
          "IngressGatewayIpUnreachable",
          "critical",
          `absent(kube_service_status_load_balancer_ingress{${gw}, service="${ctx.gateway.name}"${ctx.gatewayAddress ? `, ip="${ctx.gatewayAddress}"` : ""}})`,
          "5m",
          "The ingress gateway Service does not hold its public IP",
          `Service ${ctx.gateway.namespace}/${ctx.gateway.name} reports no load-balancer address${ctx.gatewayAddress ? ` ${ctx.gatewayAddress}` : ""}: the Azure load balancer is not serving the static IP.`,
        ),
      ],
    },
    {
      name: "control-plane",
      rules: [
        rule(
          "IstiodUnavailable",
          "critical",
          `(sum(up{namespace="${ctx.istioNamespace}", app="istiod"}) or vector(0)) < 1`,
          "5m",
          "No istiod instance is up",
          "No istiod pod answers its metrics scrape: new pods get no sidecar and configuration changes reach no proxy.",
        ),
        rule(
          "IstiodPushErrors",
          "warning",
          "(sum(increase(pilot_total_xds_rejects[10m])) or vector(0)) + (sum(increase(pilot_xds_push_context_errors[10m])) or vector(0)) > 0",
          "5m",
          "istiod pushes configuration that proxies reject",
          "Proxies rejected {{ $value | humanize }} configuration pushes in 10 minutes, or istiod failed to build a push context.",
        ),
      ],
    },
    {
      name: "sidecars",
      rules: [
        rule(
          "SidecarInjectionFailures",
          "warning",
          "sum(increase(sidecar_injection_failure_total[10m])) > 0",
          "0m",
          "Sidecar injection is failing",
          "The injection webhook failed {{ $value | humanize }} times in 10 minutes: new pods may start without a proxy.",
        ),
        rule(
          "SidecarProxyRestarting",
          "warning",
          'sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{container="istio-proxy"}[30m])) > 3',
          "0m",
          "A sidecar keeps restarting",
          "The istio-proxy container of {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | humanize }} times in 30 minutes.",
        ),
      ],
    },
    {
      name: "certificates",
      rules: [
        rule(
          "CertificateExpiringSoon",
          "warning",
          `min by (namespace, pod) (envoy_server_days_until_first_cert_expiring{${gw}}) < ${t.certExpiryDays} or min by (namespace, pod) ((citadel_server_root_cert_expiry_timestamp - time()) / 86400) < ${t.certExpiryDays}`,
          "1h",
          `A certificate expires within ${t.certExpiryDays} days`,
          "{{ $labels.namespace }}/{{ $labels.pod }} serves a certificate (gateway TLS or the mesh root CA) that expires in {{ $value | humanize }} days.",
        ),
      ],
    },
    {
      name: "nodes",
      rules: [
        rule(
          "NodeMemoryHigh",
          "warning",
          `(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > ${t.nodeMemoryWarningPercent}`,
          "15m",
          `Node memory above ${t.nodeMemoryWarningPercent}%`,
          "{{ $labels.instance }} uses {{ $value | humanize }}% of its memory.",
        ),
        rule(
          "NodeMemoryCritical",
          "critical",
          `(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > ${t.nodeMemoryCriticalPercent}`,
          "5m",
          `Node memory above ${t.nodeMemoryCriticalPercent}%`,
          "{{ $labels.instance }} uses {{ $value | humanize }}% of its memory: evictions and OOM kills are next.",
        ),
      ],
    },
    {
      name: "observability-pipeline",
      rules: [
        rule(
          "LokiIngestionStopped",
          "critical",
          "(sum(rate(loki_distributor_bytes_received_total[15m])) or vector(0)) == 0",
          "15m",
          "Loki receives no logs",
          "Loki received no log bytes for 15 minutes: the log shipper (Alloy) or Loki itself is down, and logs are being lost.",
        ),
        rule(
          "PrometheusTargetDown",
          "warning",
          "up == 0",
          "10m",
          "A scrape target is down",
          "{{ $labels.job }} target {{ $labels.instance }} has failed every scrape for 10 minutes.",
        ),
      ],
    },
  ];
}
