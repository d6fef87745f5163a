import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MtlsConfig } from "../../config/security/mtls";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { istioObject, meshLabels } from "../shared";
import { MtlsCompatibilityCheck } from "./mtls-check";
import { peerAuthentications } from "./peer-authentications";

export interface MtlsArgs {
  /** config security.mtls, resolved: the modes, the exceptions and the check. */
  mtls: MtlsConfig;
  handles: {
    /** The root namespace (mesh-wide policy, the check's Job and record) and "after istiod" (the CRDs). */
    controlPlane: ControlPlaneHandle;
    /** What an object in an application namespace waits for. */
    mesh: MeshHandle;
    /** The Prometheus the automated check queries, when this stack runs it: the Job starts after it. */
    prometheusReady: pulumi.Resource[];
  };
  /** Prometheus's namespace denies ingress (NetworkPolicies on): admit the check's Job there (see MtlsCompatibilityCheck). */
  admitToPrometheus?: { namespace: string; port: number; dependsOn: pulumi.Resource[] };
}

/**
 * Mutual TLS for the mesh (config security.mtls): the PeerAuthentications of every level, and, while any of them is
 * STRICT and a check is configured, the MtlsCompatibilityCheck each STRICT one depends on. A STRICT policy without a
 * configured check is still planned: the policy pack refuses it, naming the key to add.
 */
export class Mtls extends pulumi.ComponentResource {
  /** PeerAuthentication id ("mesh", "ns-<namespace>", "wl-<name>") -> the object. */
  readonly peerAuthentications: Record<string, k8s.apiextensions.CustomResource> = {};
  /** The gate, while something is STRICT and config security.mtls.check is set. */
  readonly check?: MtlsCompatibilityCheck;

  constructor(name: string, args: MtlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:Mtls", name, {}, opts);
    const { mtls, handles } = args;
    const { controlPlane, mesh } = handles;

    if (mtls.check && mtls.strictScope.length > 0) {
      this.check = new MtlsCompatibilityCheck(
        `${name}-check`,
        {
          scope: mtls.strictScope,
          check: mtls.check,
          namespace: controlPlane.namespace,
          namespaceReady: (ns) => mesh.namespaceReady(ns),
          dependsOn: controlPlane.ready,
          prometheusReady: handles.prometheusReady,
          ...(args.admitToPrometheus ? { admitToPrometheus: args.admitToPrometheus } : {}),
        },
        { parent: this },
      );
    }

    for (const pa of peerAuthentications(mtls, controlPlane.namespace)) {
      const gate = pa.strict && this.check ? [this.check] : [];
      this.peerAuthentications[pa.id] = istioObject(
        "PeerAuthentication",
        `${name}-pa-${pa.id}`,
        {
          name: pa.name,
          namespace: pa.namespace,
          labels: meshLabels("mtls"),
          ...(Object.keys(pa.annotations).length > 0 ? { annotations: pa.annotations } : {}),
          spec: pa.spec,
        },
        // STRICT waits for the check: the pack's contract (dependsOn the component resolves to its record and Job).
        { parent: this, dependsOn: [...controlPlane.ready, ...mesh.namespaceReady(pa.namespace), ...gate] },
      );
    }
    this.registerOutputs({
      peerAuthentications: Object.keys(this.peerAuthentications),
      strictScope: mtls.strictScope,
    });
  }
}
