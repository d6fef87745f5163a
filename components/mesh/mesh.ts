import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "../../config";
import { MESH_SERVICES_OUTPUT } from "../../policy/contract";
import type { ClusterHandle } from "../cluster";
import type { ControlPlaneHandle } from "../istio/handle";
import { istioObject } from "../shared";
import type { MeshHandle } from "./handle";
import { MeshNamespaces } from "./mesh-namespaces";
import { DEFAULT_SIDECAR_NAME, sidecarLabels, sidecarNamespaces, sidecarSpec } from "./sidecars";

export interface MeshArgs {
  /** The validated stack config; this area reads meshNamespaces and mesh (the service graph, sidecars). */
  config: MeshConfig;
  handles: {
    cluster: ClusterHandle;
    /** The injection revision the namespaces are labelled with, its namespace, and "after istiod". */
    controlPlane: ControlPlaneHandle;
  };
}

/**
 * The application side of the mesh: namespace enrolment (MeshNamespaces) and, when config sidecars.enabled, one
 * Sidecar per application namespace scoped to what the service graph says it calls.
 *
 * MeshNamespaces was created at the top level before this area component existed; it answers to its old URN through
 * `{ parent: rootStackResource }`, and the engine carries its children along (pulumi/pulumi step_generator.go
 * generateAliases), so no namespace is replaced (test/urns).
 */
export class Mesh extends pulumi.ComponentResource {
  /** The enrolled namespaces. */
  readonly namespaces: MeshNamespaces;
  /** Namespace -> its Sidecar named default; empty when sidecars are off. */
  readonly sidecars: Record<string, k8s.apiextensions.CustomResource> = {};
  /** What other areas need of this one. */
  readonly handle: MeshHandle;
  /** The application services and their declared replicas (null: not declared), for the footprint report. */
  readonly services: { name: string; namespace: string; replicas: number | null }[];

  constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:mesh:Mesh", name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const { config, handles } = args;
    const { controlPlane } = handles;

    this.namespaces = new MeshNamespaces(
      "mesh-namespaces",
      { revision: controlPlane.injectionRevision, namespaces: config.meshNamespaces },
      { parent: this, aliases: [{ parent: pulumi.rootStackResource }], dependsOn: controlPlane.ready },
    );

    if (config.mesh.sidecars.enabled) {
      const { graph } = config.mesh;
      for (const ns of sidecarNamespaces(graph)) {
        const namespace = this.namespaces.resources[ns.name];
        this.sidecars[ns.name] = istioObject(
          "Sidecar",
          `${name}-sidecar-${ns.name}`,
          {
            name: DEFAULT_SIDECAR_NAME,
            namespace: ns.name,
            labels: sidecarLabels(),
            spec: sidecarSpec(ns, graph, { controlPlaneNamespace: controlPlane.namespace }),
          },
          // After the CRDs (istiod ready) and after the namespace exists, when this stack creates or labels it.
          { parent: this, dependsOn: [...controlPlane.ready, ...(namespace ? [namespace] : [])] },
        );
      }
    }
    const enrolled = this.namespaces.resources;
    this.handle = { namespaceReady: (ns) => (enrolled[ns] ? [enrolled[ns]] : []) };
    this.services = Object.values(config.mesh.graph.services).map((s) => ({
      name: s.name,
      namespace: s.namespace,
      replicas: s.replicas ?? null,
    }));
    this.registerOutputs({
      namespaces: this.namespaces.names,
      sidecars: Object.keys(this.sidecars),
      // Read by the footprint report and its policy (policy/proxy/footprint.ts) as the pack sees this component.
      [MESH_SERVICES_OUTPUT]: this.services,
    });
  }
}
