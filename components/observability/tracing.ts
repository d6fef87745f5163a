import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { TRACING_PROVIDER } from "../../config";
import { istioObject, meshLabels } from "../shared";

// The provider itself is observability's meshConfig contribution (config/observability.ts), which the control plane
// renders into istiod's meshConfig.
export { TRACING_PROVIDER };

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
