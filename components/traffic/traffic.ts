import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "../../config";
import type { ClusterHandle } from "../cluster";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { istioObject, meshLabels } from "../shared";
import { destinationRuleSpec } from "./destination-rule";

export interface TrafficArgs {
  /** The validated stack config; this area reads traffic (per-service policies) and mesh.graph. */
  config: MeshConfig;
  handles: {
    cluster: ClusterHandle;
    /** "After istiod": the DestinationRule CRD is served. */
    controlPlane: ControlPlaneHandle;
    /** What an object in an application namespace waits for. */
    mesh: MeshHandle;
  };
}

/**
 * Traffic policy per service of the graph: one DestinationRule per service with a policy in aks-mesh:traffic, named
 * after the service, in its namespace, for its cluster-local host. Removing a service's entry removes its rule, and
 * Envoy's defaults apply again.
 */
export class Traffic extends pulumi.ComponentResource {
  /** Service name -> its DestinationRule. */
  readonly destinationRules: Record<string, k8s.apiextensions.CustomResource> = {};

  constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:traffic:Traffic", name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const { config, handles } = args;
    const { graph } = config.mesh;

    for (const [service, { policy }] of Object.entries(config.traffic.services)) {
      const declared = graph.services[service];
      if (!declared) throw new Error(`traffic for "${service}" was not checked against the graph`); // crossChecks refused it
      const ns = declared.namespace;
      this.destinationRules[service] = istioObject(
        "DestinationRule",
        `${name}-dr-${service}`,
        {
          name: service,
          namespace: ns,
          labels: meshLabels("traffic"),
          spec: destinationRuleSpec(service, ns, policy),
        },
        { parent: this, dependsOn: [...handles.controlPlane.ready, ...handles.mesh.namespaceReady(ns)] },
      );
    }
    this.registerOutputs({ destinationRules: Object.keys(this.destinationRules) });
  }
}
