// The pinned upstream charts. Versions live here, next to the typed values, and not in config: every values key this
// layer sets was checked against the values.yaml (and values.schema.json where the chart ships one) of exactly these
// versions, so changing a version means re-checking the values types in values.ts.

/** A chart from a Helm repository, pinned. */
export interface ChartRef {
  /** Chart name in the repository. */
  chart: string;
  /** Exact chart version (never a range). */
  version: string;
  /** Helm repository URL that serves this version. */
  repository: string;
  /** The application version the chart deploys, for the README and the upgrade notes. */
  appVersion: string;
}

export const CHARTS = {
  /** Prometheus v3.14 with the alertmanager 1.42.0, kube-state-metrics 8.4.0 and node-exporter 4.56.1 sub-charts. */
  prometheus: {
    chart: "prometheus",
    version: "29.27.0",
    repository: "https://prometheus-community.github.io/helm-charts",
    appVersion: "v3.14.0",
  },
  /**
   * Grafana 12.4. The chart moved to grafana-community in January 2026 (the grafana/helm-charts copy is frozen and
   * marked deprecated). 11.6.1 is the last chart on Grafana 12: chart 12.x brings Grafana 13, which needs an image
   * renderer token and a dashboard audit before it is worth taking.
   */
  grafana: {
    chart: "grafana",
    version: "11.6.1",
    repository: "https://grafana-community.github.io/helm-charts",
    appVersion: "12.4.3",
  },
  /** Loki 3.7. OSS Loki's chart moved to grafana-community in March 2026; grafana/helm-charts now serves GEL only. */
  loki: {
    chart: "loki",
    version: "18.11.0",
    repository: "https://grafana-community.github.io/helm-charts",
    appVersion: "3.7.6",
  },
  /** Grafana Alloy, the log shipper (Promtail is deprecated). The Alloy team still publishes it to grafana/helm-charts. */
  alloy: {
    chart: "alloy",
    version: "1.11.1",
    repository: "https://grafana.github.io/helm-charts",
    appVersion: "v1.18.1",
  },
  /**
   * Jaeger v2 (OpenTelemetry-collector based). Jaeger v1 reached end of life in December 2025 and the chart's 3.x line
   * that deployed it is unmaintained; v2 takes OTLP natively, which is what Istio's opentelemetry provider sends.
   */
  jaeger: {
    chart: "jaeger",
    version: "4.11.1",
    repository: "https://jaegertracing.github.io/helm-charts",
    appVersion: "2.19.0",
  },
  /**
   * Kiali v2.4: Kiali's compatibility table lists Istio 1.23 with Kiali 1.87 to 2.0 and 2.4 (2.4 is the first release
   * tested against every supported Istio). Newer Kiali targets Istio 1.24+; upgrade it together with Istio.
   */
  kiali: {
    chart: "kiali-server",
    version: "2.4.0",
    repository: "https://kiali.org/helm-charts",
    appVersion: "v2.4.0",
  },
} as const satisfies Record<string, ChartRef>;

export type Tool = keyof typeof CHARTS;
