import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { REVISION_LABEL } from "../../policy/contract";
import { meshLabels } from "../shared";

export interface MeshNamespacesArgs {
  /** Control-plane revision or tag whose injector serves these namespaces (istio.io/rev). */
  revision: string;
  /**
   * Namespaces (config meshNamespaces): existing ones are only labelled, others are created. A namespace's own
   * `revision` (a tag or revision, during a canary) replaces `revision` for it.
   */
  namespaces: { name: string; existing: boolean; revision?: string | undefined }[];
}

/**
 * Enrols application namespaces in the mesh with the revision label, so new pods get a sidecar from this revision.
 * Existing namespaces get a server-side-apply patch of that one label: Pulumi never owns (or deletes) a namespace it
 * did not create. Running pods keep their old sidecar until restarted (README: rollout restart after enrolment).
 */
export class MeshNamespaces extends pulumi.ComponentResource {
  /** Names of the enrolled namespaces. */
  readonly names: string[];
  /** Namespace -> the resource that creates or labels it: what an object in that namespace waits for. */
  readonly resources: Record<string, pulumi.Resource> = {};

  constructor(name: string, args: MeshNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    // The type token of the days this lived in components/istio: it is part of every child's URN (test/urns).
    super("aks-mesh:istio:MeshNamespaces", name, {}, opts);
    const childOpts = { parent: this, dependsOn: opts?.dependsOn };
    for (const ns of args.namespaces) {
      const labels = { [REVISION_LABEL]: ns.revision ?? args.revision };
      if (ns.existing) {
        this.resources[ns.name] = new k8s.core.v1.NamespacePatch(
          `${name}-${ns.name}`,
          {
            metadata: {
              name: ns.name,
              labels,
              // Take the label over from whoever set it by hand (kubectl label), instead of failing on the conflict.
              annotations: { "pulumi.com/patchForce": "true" },
            },
          },
          childOpts,
        );
      } else {
        this.resources[ns.name] = new k8s.core.v1.Namespace(
          `${name}-${ns.name}`,
          { metadata: { name: ns.name, labels: { ...meshLabels("application"), ...labels } } },
          childOpts,
        );
      }
    }
    this.names = args.namespaces.map((n) => n.name);
    this.registerOutputs({ names: this.names });
  }
}
