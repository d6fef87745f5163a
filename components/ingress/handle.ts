import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * What other areas need of the public ingress: where the gateway runs, which pods an Istio Gateway selects, the
 * Gateway every public host is a server of, and the address DNS points at.
 */
export interface GatewayHandle {
  /** Namespace of the gateway workload, its Gateway object and its TLS Secrets. */
  readonly namespace: string;
  /** The Namespace, when the stack creates it (undefined when it exists or the control plane owns it). */
  readonly namespaceResource?: k8s.core.v1.Namespace;
  /** What objects placed in the gateway namespace depend on: created after it, deleted before it. */
  readonly namespaceReady: pulumi.Resource[];
  /** Name of the gateway Deployment and Service. */
  readonly name: string;
  /** ServiceAccount of the gateway pods: their mesh identity cluster.local/ns/<namespace>/sa/<serviceAccount>. */
  readonly serviceAccount: string;
  /** Labels of the gateway pods, as Istio Gateway objects and gateway-scoped policies select them. */
  readonly selector: Record<string, string>;
  /** "<namespace>/<name>" of the public Gateway, as a VirtualService's `gateways` names it. */
  readonly ref: string;
  /** The public address of the gateway (the static IP). */
  readonly address: pulumi.Output<string>;
  /** The address config pins (staticIp.expectedAddress), when it does: alerts compare the Service's against it. */
  readonly expectedAddress?: string;
  /** Every host the public Gateway serves. */
  readonly hosts: string[];
}
