import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceGraph } from "../../config";
import type { NetworkPoliciesConfig } from "../../config/security/network-policies";
import type { ClusterHandle } from "../cluster";
import type { GatewayHandle } from "../ingress/handle";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { meshLabels } from "../shared";
import { networkPolicyObjects } from "./network-policy-specs";

export interface NetworkPoliciesArgs {
  /** config security.networkPolicies. */
  config: NetworkPoliciesConfig;
  /** The resolved service graph (config mesh.graph): callers, ports, exposure. */
  graph: ServiceGraph;
  /** Namespaces enrolled in the mesh (config meshNamespaces): one default-deny each. */
  meshNamespaces: readonly string[];
  handles: {
    /** Its network policy engine: without one the policies are written but nothing enforces them. */
    cluster: ClusterHandle;
    controlPlane: ControlPlaneHandle;
    mesh: MeshHandle;
    gateway: GatewayHandle;
    observability?: { readonly namespace: string; readonly namespaceReady: pulumi.Resource[] };
  };
}

/**
 * Kubernetes NetworkPolicies from the service graph (network-policy-specs.ts): per mesh namespace a default-deny
 * ingress policy and the allows its callers need; optionally the egress lock-down and istiod's namespace.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
  /** "<namespace>/<name>" of every NetworkPolicy written. */
  readonly names: string[];

  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:NetworkPolicies", name, {}, opts);
    const { cluster, controlPlane, mesh, gateway, observability } = args.handles;
    const ready = (namespace: string): pulumi.Resource[] => {
      if (namespace === controlPlane.namespace) return controlPlane.ready;
      if (namespace === observability?.namespace) return observability.namespaceReady;
      return mesh.namespaceReady(namespace);
    };
    const objects = networkPolicyObjects(args.graph, {
      meshNamespaces: args.meshNamespaces,
      gateway: { namespace: gateway.namespace, selector: gateway.selector },
      controlPlaneNamespace: controlPlane.namespace,
      egress: args.config.egress,
      controlPlane: args.config.controlPlane,
    });
    for (const o of objects) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${o.namespace}-${o.name}`,
        { metadata: { name: o.name, namespace: o.namespace, labels: meshLabels("security") }, spec: o.spec },
        // After its namespace: istiod's once the control plane is up, the tools' once created, an application one once enrolled.
        { parent: this, dependsOn: ready(o.namespace) },
      );
    }
    this.names = objects.map((o) => `${o.namespace}/${o.name}`);
    // Said where the operator looks: without an engine every policy above is stored and ignored.
    cluster.networkPolicyEngine.apply((engine) => {
      if (engine === "none") {
        void pulumi.log.warn(
          "The cluster has no network policy engine (networkProfile.networkPolicy none): AKS ignores these " +
            "NetworkPolicies until one is enabled (README: Security rollout, az aks update --network-policy).",
          this,
        );
      }
    });
    this.registerOutputs({ networkPolicies: this.names, engine: cluster.networkPolicyEngine });
  }
}
