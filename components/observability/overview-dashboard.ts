// The one overview dashboard this layer adds to Istio's: the golden signals of every service next to the error logs,
// so a spike and its log lines are on one screen. Built as an object (Grafana dashboard JSON model, schemaVersion 39).
import { SERIES } from "./alerts/anomaly";

export const DATASOURCE_UIDS = {
  prometheus: "prometheus",
  loki: "loki",
  jaeger: "jaeger",
  alertmanager: "alertmanager",
} as const;

interface Panel {
  id: number;
  title: string;
  type: "timeseries" | "logs" | "stat";
  gridPos: { h: number; w: number; x: number; y: number };
  datasource: { type: string; uid: string };
  targets: { refId: string; expr: string; legendFormat?: string }[];
  fieldConfig?: { defaults: { unit?: string } };
  options?: Record<string, unknown>;
}

const prom = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };
const loki = { type: "loki", uid: DATASOURCE_UIDS.loki };
const service = "{{destination_service_name}}.{{destination_service_namespace}}";
const filter = 'destination_service_namespace=~"$namespace"';

export function overviewDashboard(): Record<string, unknown> {
  const panels: Panel[] = [
    {
      id: 1,
      title: "Requests per second",
      type: "timeseries",
      gridPos: { h: 8, w: 8, x: 0, y: 0 },
      datasource: prom,
      targets: [{ refId: "A", expr: `${SERIES.rate}{${filter}}`, legendFormat: service }],
      fieldConfig: { defaults: { unit: "reqps" } },
    },
    {
      id: 2,
      title: "5xx ratio",
      type: "timeseries",
      gridPos: { h: 8, w: 8, x: 8, y: 0 },
      datasource: prom,
      targets: [{ refId: "A", expr: `${SERIES.errorRatio}{${filter}}`, legendFormat: service }],
      fieldConfig: { defaults: { unit: "percentunit" } },
    },
    {
      id: 3,
      title: "p99 latency",
      type: "timeseries",
      gridPos: { h: 8, w: 8, x: 16, y: 0 },
      datasource: prom,
      targets: [
        {
          refId: "A",
          expr: `histogram_quantile(0.99, sum by (destination_service_namespace, destination_service_name, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", ${filter}}[5m])))`,
          legendFormat: service,
        },
      ],
      fieldConfig: { defaults: { unit: "ms" } },
    },
    {
      id: 4,
      title: "Traffic anomaly (z-score against the weekly baseline)",
      type: "timeseries",
      gridPos: { h: 8, w: 12, x: 0, y: 8 },
      datasource: prom,
      targets: [
        { refId: "A", expr: `${SERIES.rateZScore}{${filter}}`, legendFormat: `rate ${service}` },
        { refId: "B", expr: `${SERIES.errorZScore}{${filter}}`, legendFormat: `5xx ${service}` },
      ],
    },
    {
      id: 5,
      title: "Saturation: container memory of the selected namespaces",
      type: "timeseries",
      gridPos: { h: 8, w: 12, x: 12, y: 8 },
      datasource: prom,
      targets: [
        {
          refId: "A",
          expr: 'sum by (namespace, pod) (container_memory_working_set_bytes{namespace=~"$namespace", container!=""})',
          legendFormat: "{{namespace}}/{{pod}}",
        },
      ],
      fieldConfig: { defaults: { unit: "bytes" } },
    },
    {
      id: 6,
      title: "Error logs (application and istio-proxy 5xx)",
      type: "logs",
      gridPos: { h: 12, w: 24, x: 0, y: 16 },
      datasource: loki,
      targets: [
        {
          refId: "A",
          expr: '{namespace=~"$namespace"} |~ "(?i)(level=error|\\"level\\":\\"error\\"|\\"response_code\\":5[0-9][0-9]|exception|panic)"',
        },
      ],
      options: { showTime: true, wrapLogMessage: true, sortOrder: "Descending" },
    },
  ];
  return {
    uid: "aks-mesh-overview",
    title: "aks-mesh overview: golden signals and error logs",
    tags: ["aks-mesh", "istio"],
    timezone: "browser",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    templating: {
      list: [
        {
          name: "namespace",
          label: "Namespace",
          type: "query",
          datasource: prom,
          query: `label_values(${SERIES.rate}, destination_service_namespace)`,
          includeAll: true,
          multi: true,
          allValue: ".*",
          current: { text: "All", value: "$__all" },
        },
      ],
    },
    panels,
  };
}
