import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { sidecarLabels } from "./mesh";
import { pinnedRelease } from "./release";
import type { AlloyValues } from "./values";

export interface LogShipperArgs {
  namespace: pulumi.Input<string>;
  revision: string;
  /** Loki's base URL (logs are pushed to <url>/loki/api/v1/push). */
  lokiUrl: pulumi.Input<string>;
  resources: Resources;
  timeoutSeconds: number;
}

/** One relabel rule of an Alloy discovery.relabel block. */
interface RelabelRule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  action?: "replace" | "keep" | "drop";
  target_label?: string;
  replacement?: string;
}

/** An Alloy attribute value: strings are quoted (JSON escaping is valid Alloy string syntax), lists recurse. */
function alloyValue(v: string | string[]): string {
  return Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(", ")}]` : JSON.stringify(v);
}

function ruleBlock(r: RelabelRule): string {
  const attrs = Object.entries(r).map(([k, v]) => `    ${k} = ${alloyValue(v as string | string[])}`);
  return ["  rule {", ...attrs, "  }"].join("\n");
}

/** Labels every log stream gets: where it came from, so Grafana can filter by namespace, pod and container. */
export const LOG_RELABEL_RULES: RelabelRule[] = [
  { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed|Completed", action: "drop" },
  { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
  { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
  { source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" },
  { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
  { source_labels: ["__meta_kubernetes_pod_label_app"], target_label: "app" },
  // The kubelet writes /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log.
  {
    source_labels: ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"],
    separator: "/",
    target_label: "__path__",
    replacement: "/var/log/pods/*$1/*.log",
  },
];

/**
 * The Alloy pipeline (Alloy's own configuration language, which has no object form the chart accepts): discover this
 * node's pods, tail every container's log file (istio-proxy's access log included: it is a container like the
 * others), parse the CRI envelope, push to Loki.
 */
export function alloyConfig(lokiPushUrl: string): string {
  return [
    'discovery.kubernetes "pods" {',
    '  role = "pod"',
    "  selectors {",
    '    role  = "pod"',
    '    field = "spec.nodeName=" + sys.env("HOSTNAME")',
    "  }",
    "}",
    "",
    'discovery.relabel "pods" {',
    "  targets = discovery.kubernetes.pods.targets",
    ...LOG_RELABEL_RULES.map(ruleBlock),
    "}",
    "",
    'local.file_match "pods" {',
    "  path_targets = discovery.relabel.pods.output",
    "}",
    "",
    'loki.source.file "pods" {',
    "  targets    = local.file_match.pods.targets",
    "  forward_to = [loki.process.pods.receiver]",
    "}",
    "",
    'loki.process "pods" {',
    "  stage.cri {}",
    "  forward_to = [loki.write.default.receiver]",
    "}",
    "",
    'loki.write "default" {',
    "  endpoint {",
    `    url = ${JSON.stringify(lokiPushUrl)}`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Grafana Alloy as the log shipper, one pod per node (Promtail's chart is deprecated upstream). It reads the node's
 * /var/log/pods, so it needs no sidecar and keeps shipping when the mesh is what is failing.
 */
export class LogShipper extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: LogShipperArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:LogShipper", name, {}, opts);
    const values = pulumi.output(args.lokiUrl).apply((url): AlloyValues => ({
      alloy: {
        configMap: { create: true, content: alloyConfig(`${url}/loki/api/v1/push`) },
        mounts: { varlog: true, dockercontainers: false },
        resources: args.resources,
      },
      controller: { type: "daemonset", podLabels: sidecarLabels("alloy", args.revision) },
      crds: { create: false },
    }));
    this.release = pinnedRelease(
      `${name}-release`,
      "alloy",
      { name: "alloy", namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
