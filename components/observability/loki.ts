import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { sidecarLabels } from "./mesh";
import { LOKI_HTTP_PORT } from "./paths";
import { pinnedRelease } from "./release";
import type { LokiValues } from "./values";

export type LokiMode = "Monolithic" | "SimpleScalable";

export interface LokiArgs {
  namespace: pulumi.Input<string>;
  revision: string;
  /** observability.loki.mode: "Monolithic" (single binary, filesystem) or "SimpleScalable" (object storage). */
  mode: LokiMode;
  /** observability.loki.retention (limits_config.retention_period, enforced by the compactor). */
  retention: string;
  storageSize: string;
  storageClass?: string;
  resources: Resources;
  /** Azure Blob storage, required by SimpleScalable. */
  azure?: { accountName: string; container: string; accountKeySecret: string };
  timeoutSeconds: number;
}

const RELEASE = "loki";

/** Base URL clients use: the single binary's Service, or the gateway in front of the read/write targets. */
export function lokiUrl(mode: LokiMode, namespace: string): string {
  return mode === "Monolithic"
    ? `http://${RELEASE}.${namespace}.svc.cluster.local:${LOKI_HTTP_PORT}`
    : `http://${RELEASE}-gateway.${namespace}.svc.cluster.local:80`;
}

/** The values for a mode. Exported so the README's switch to the scalable mode is a tested code path. */
export function lokiValues(args: Omit<LokiArgs, "namespace" | "timeoutSeconds">): LokiValues {
  const monolithic = args.mode === "Monolithic";
  const volume = { size: args.storageSize, ...(args.storageClass ? { storageClass: args.storageClass } : {}) };
  const objectStore = monolithic ? "filesystem" : "azure";
  return {
    deploymentMode: args.mode,
    loki: {
      // One tenant: no X-Scope-OrgID header needed by Alloy or Grafana.
      auth_enabled: false,
      commonConfig: { replication_factor: monolithic ? 1 : 3 },
      storage: monolithic
        ? { type: "filesystem" }
        : {
            type: "azure",
            bucketNames: { chunks: args.azure?.container ?? "", ruler: args.azure?.container ?? "" },
            azure: { accountName: args.azure?.accountName ?? "", accountKey: "${AZURE_ACCOUNT_KEY}" },
          },
      schemaConfig: {
        configs: [
          {
            from: "2024-04-01",
            store: "tsdb",
            object_store: objectStore,
            schema: "v13",
            index: { prefix: "loki_index_", period: "24h" },
          },
        ],
      },
      limits_config: { retention_period: args.retention, reject_old_samples: true, reject_old_samples_max_age: "168h" },
      compactor: { retention_enabled: true, delete_request_store: objectStore },
    },
    defaults: {
      podLabels: sidecarLabels("loki", args.revision),
      // Scraped by the kubernetes-pods job, for LokiIngestionStopped.
      podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(LOKI_HTTP_PORT) },
      // The storage account key reaches Loki as an environment variable from its Secret, never in these values.
      ...(monolithic
        ? {}
        : {
            extraArgs: ["-config.expand-env=true"],
            extraEnvFrom: [{ secretRef: { name: args.azure?.accountKeySecret ?? "" } }],
          }),
    },
    singleBinary: {
      replicas: monolithic ? 1 : 0,
      resources: args.resources,
      persistence: { enabled: true, ...volume },
    },
    read: { replicas: monolithic ? 0 : 2, ...(monolithic ? {} : { resources: args.resources }) },
    write: monolithic ? { replicas: 0 } : { replicas: 3, resources: args.resources, persistence: volume },
    backend: monolithic ? { replicas: 0 } : { replicas: 2, resources: args.resources, persistence: volume },
    gateway: monolithic
      ? { enabled: false }
      : {
          enabled: true,
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        },
    // Memcached caches and the canary each cost a pod; a single cluster's volume does not need them.
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    minio: { enabled: false },
  };
}

/**
 * Loki for one cluster: the single binary on a filesystem volume, logs deleted after `retention` by the compactor.
 * SimpleScalable switches to read/write/backend targets on Azure Blob (docs/observability.md "Loki: scalable mode").
 */
export class Loki extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  /** Base URL for queries and pushes. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: LokiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Loki", name, {}, opts);
    this.url = pulumi.output(args.namespace).apply((ns) => lokiUrl(args.mode, ns));
    const values = lokiValues(args);
    this.release = pinnedRelease(
      `${name}-release`,
      "loki",
      { name: RELEASE, namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      { parent: this },
    );
    this.registerOutputs({ url: this.url });
  }
}
