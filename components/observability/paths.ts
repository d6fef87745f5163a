// Where each tool answers, in one place: the monitoring VirtualService routes these prefixes and every tool is
// configured to serve under the same prefix (Grafana root_url + serve_from_sub_path, Kiali web_root, Jaeger base_path,
// Prometheus --web.route-prefix, Alertmanager --web.external-url). A test fails if the two sides ever disagree.

import { PROMETHEUS_SERVICES } from "../../policy/contract";

/** A tool's Service, port and sub-path on the monitoring host. */
export interface Endpoint {
  /** Helm release name; the chart derives the Service name from it. */
  release: string;
  /** Kubernetes Service the gateway and the other tools call. */
  service: string;
  /** Service port of the HTTP UI/API. */
  port: number;
  /** Path prefix on the monitoring host, without a trailing slash. */
  path: string;
}

export const ENDPOINTS = {
  grafana: { release: "grafana", service: "grafana", port: 80, path: "/grafana" },
  kiali: { release: "kiali", service: "kiali", port: 20001, path: "/kiali" },
  jaeger: { release: "jaeger", service: "jaeger", port: 16686, path: "/jaeger" },
  prometheus: { release: "prometheus", service: PROMETHEUS_SERVICES.server, port: 80, path: "/prometheus" },
  alertmanager: { release: "prometheus", service: PROMETHEUS_SERVICES.alertmanager, port: 9093, path: "/alertmanager" },
} as const satisfies Record<string, Endpoint>;

export type RoutedTool = keyof typeof ENDPOINTS;

/** The Prometheus server's container port (prometheus-community chart): what a NetworkPolicy admitting its clients names. */
export const PROMETHEUS_CONTAINER_PORT = 9090;

/** Jaeger's OTLP/gRPC receiver: where Istio's opentelemetry tracing provider sends spans. */
export const JAEGER_OTLP_GRPC_PORT = 4317;
/** Loki's HTTP port (monolithic mode: the loki Service; scalable mode goes through the loki-gateway Service on 80). */
export const LOKI_HTTP_PORT = 3100;

/** In-cluster base URL of a tool, including its sub-path (the tools that serve under a prefix serve only there). */
export function internalUrl(tool: RoutedTool, namespace: string): string {
  const e = ENDPOINTS[tool];
  return `http://${e.service}.${namespace}.svc.cluster.local:${e.port}${e.path}`;
}

/** Public URL of a tool on the monitoring host. */
export function publicUrl(tool: RoutedTool, host: string, https: boolean): string {
  return `${https ? "https" : "http"}://${host}${ENDPOINTS[tool].path}/`;
}
