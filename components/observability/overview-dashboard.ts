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

type Grid = Panel["gridPos"];

/** A Prometheus time series panel: one target per [expression, legend], refIds A, B, ... in order. */
function series(
  title: string,
  gridPos: Grid,
  targets: [expr: string, legend: string][],
  unit?: string,
): Omit<Panel, "id"> {
  return {
    title,
    type: "timeseries",
    gridPos,
    datasource: prom,
    targets: targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat })),
    ...(unit ? { fieldConfig: { defaults: { unit } } } : {}),
  };
}

export function overviewDashboard(): Record<string, unknown> {
  const p99 =
    "histogram_quantile(0.99, sum by (destination_service_namespace, destination_service_name, le) " +
    `(rate(istio_request_duration_milliseconds_bucket{reporter="destination", ${filter}}[5m])))`;
  const layout: Omit<Panel, "id">[] = [
    series("Requests per second", { h: 8, w: 8, x: 0, y: 0 }, [[`${SERIES.rate}{${filter}}`, service]], "reqps"),
    series("5xx ratio", { h: 8, w: 8, x: 8, y: 0 }, [[`${SERIES.errorRatio}{${filter}}`, service]], "percentunit"),
    series("p99 latency", { h: 8, w: 8, x: 16, y: 0 }, [[p99, service]], "ms"),
    series("Traffic anomaly (z-score against the weekly baseline)", { h: 8, w: 12, x: 0, y: 8 }, [
      [`${SERIES.rateZScore}{${filter}}`, `rate ${service}`],
      [`${SERIES.errorZScore}{${filter}}`, `5xx ${service}`],
    ]),
    series(
      "Saturation: container memory of the selected namespaces",
      { h: 8, w: 12, x: 12, y: 8 },
      [
        [
          'sum by (namespace, pod) (container_memory_working_set_bytes{namespace=~"$namespace", container!=""})',
          "{{namespace}}/{{pod}}",
        ],
      ],
      "bytes",
    ),
    {
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
  const panels: Panel[] = layout.map((panel, i) => ({ id: i + 1, ...panel }));
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
