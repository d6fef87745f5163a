import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshExtensionProvider } from "../istio";
import { istioObject, meshLabels, serviceFqdn } from "../shared";
import { ENDPOINTS, JAEGER_OTLP_GRPC_PORT } from "./paths";

/** Name of the tracing extension provider in meshConfig; the Telemetry resource refers to it. */
export const TRACING_PROVIDER = "jaeger";

/**
 * The meshConfig.extensionProviders entry for Jaeger: Istio's OpenTelemetry tracer sending OTLP/gRPC to Jaeger's
 * collector port (MeshConfig.ExtensionProvider.opentelemetry {service, port} in Istio 1.23).
 */
export function tracingExtensionProvider(monitoringNamespace: string): MeshExtensionProvider {
  return {
    name: TRACING_PROVIDER,
    opentelemetry: { service: serviceFqdn(ENDPOINTS.jaeger.service, monitoringNamespace), port: JAEGER_OTLP_GRPC_PORT },
  };
}

export interface MeshTracingArgs {
  /** Percentage of requests sampled at the edge of the mesh (observability.tracing.samplingPercentage). */
  samplingPercentage: number;
  /** The mesh root namespace (the control plane's handle): a selector-less Telemetry there applies mesh-wide. */
  rootNamespace: string;
}

/**
 * The mesh-wide Telemetry resource (root namespace, no selector) that turns tracing on with the Jaeger provider.
 * Without it the provider exists in meshConfig but no proxy uses it, and no trace flows.
 */
export class MeshTracing extends pulumi.ComponentResource {
  readonly telemetry: k8s.apiextensions.CustomResource;

  constructor(name: string, args: MeshTracingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:MeshTracing", name, {}, opts);
    if (args.samplingPercentage < 0 || args.samplingPercentage > 100) {
      throw new Error(`MeshTracing ${name}: samplingPercentage must be between 0 and 100`);
    }
    this.telemetry = istioObject(
      "Telemetry",
      `${name}-telemetry`,
      {
        name: "mesh-default",
        namespace: args.rootNamespace,
        labels: meshLabels("observability"),
        spec: {
          tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: args.samplingPercentage }],
        },
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({});
  }
}
