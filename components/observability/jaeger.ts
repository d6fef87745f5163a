import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { meshLabels } from "../shared";
import { sidecarLabels } from "./mesh";
import { ENDPOINTS, JAEGER_OTLP_GRPC_PORT } from "./paths";
import { pinnedRelease } from "./release";
import type { JaegerConfig, JaegerValues } from "./values";

export interface JaegerArgs {
  namespace: pulumi.Input<string>;
  revision: string;
  /** observability.jaeger.storage: "badger" (volume, `retention`) or "memory" (newest `maxTraces`). */
  storage: "badger" | "memory";
  retention: string;
  maxTraces: number;
  storageSize: string;
  storageClass?: string;
  resources: Resources;
  timeoutSeconds: number;
}

const STORE = "primary";
const BADGER_DIR = "/badger";

/** The Jaeger v2 configuration: OTLP in (what Istio sends), one store, the query UI under /jaeger. */
export function jaegerConfig(args: Pick<JaegerArgs, "storage" | "retention" | "maxTraces">): JaegerConfig {
  return {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        metrics: { level: "basic", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }] },
      },
    },
    extensions: {
      // The chart's probes call :13133/status; the collector's default endpoints listen on localhost only.
      healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
      jaeger_query: {
        base_path: ENDPOINTS.jaeger.path,
        storage: { traces: STORE },
        http: { endpoint: `0.0.0.0:${ENDPOINTS.jaeger.port}` },
        grpc: { endpoint: "0.0.0.0:16685" },
      },
      jaeger_storage: {
        backends: {
          [STORE]:
            args.storage === "badger"
              ? {
                  badger: {
                    directories: { keys: `${BADGER_DIR}/keys`, values: `${BADGER_DIR}/values` },
                    ephemeral: false,
                    ttl: { spans: args.retention },
                  },
                }
              : { memory: { max_traces: args.maxTraces } },
        },
      },
    },
    receivers: {
      otlp: {
        protocols: { grpc: { endpoint: `0.0.0.0:${JAEGER_OTLP_GRPC_PORT}` }, http: { endpoint: "0.0.0.0:4318" } },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: STORE } },
  };
}

/**
 * Jaeger v2 all-in-one: receives the mesh's spans over OTLP, keeps them in Badger on a volume for `retention`, serves
 * the UI under /jaeger. One replica (Badger is a single-writer store); the chart's Recreate strategy releases the
 * volume before the new pod starts.
 */
export class Jaeger extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Jaeger", name, {}, opts);
    const badger = args.storage === "badger";
    const claim = badger
      ? new k8s.core.v1.PersistentVolumeClaim(
          `${name}-data`,
          {
            metadata: { name: "jaeger-badger", namespace: args.namespace, labels: meshLabels("observability") },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: args.storageSize } },
              ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
            },
          },
          // Traces outlive a `pulumi destroy` of this layer only if wanted: docs/observability.md "Rolling back this layer".
          { parent: this },
        )
      : undefined;
    const values: JaegerValues = {
      jaeger: {
        resources: args.resources,
        podLabels: sidecarLabels("jaeger", args.revision),
        extraVolumes: claim ? [{ name: "badger", persistentVolumeClaim: { claimName: "jaeger-badger" } }] : [],
        extraVolumeMounts: claim ? [{ name: "badger", mountPath: BADGER_DIR }] : [],
      },
      userconfig: jaegerConfig(args),
    };
    this.release = pinnedRelease(
      `${name}-release`,
      "jaeger",
      { name: ENDPOINTS.jaeger.release, namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      { parent: this, dependsOn: claim ? [claim] : [] },
    );
    this.registerOutputs({});
  }
}
