import type * as pulumi from "@pulumi/pulumi";
import { COMPONENT_TYPES } from "../../policy/contract";
import { GatewayWorkload, type GatewayWorkloadArgs } from "../shared/gateway-workload";

/** AKS annotations that bind a LoadBalancer Service to an existing public IP (spec.loadBalancerIP is deprecated). */
export const AZURE_PIP_NAME = "service.beta.kubernetes.io/azure-pip-name";
export const AZURE_LB_RESOURCE_GROUP = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/** A gateway workload's settings (config ingressGateway, the injection revision, istiod), plus the static IP. */
export interface IngressGatewayArgs extends Omit<GatewayWorkloadArgs, "service"> {
  /** Service externalTrafficPolicy (config ingressGateway.externalTrafficPolicy). */
  externalTrafficPolicy: "Local" | "Cluster";
  /** Load balancer source ranges (config ingressGateway.loadBalancerSourceRanges). */
  loadBalancerSourceRanges: string[];
  /** The static IP the Service binds to, by name and resource group. */
  staticIp: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
  /** The IP and its role assignment: the Service is created after them and so deleted before them. */
  ipResources: pulumi.Resource[];
}

/**
 * The public ingress gateway: a gateway workload whose LoadBalancer Service holds the static IP, with the ports of the
 * 1.23.4 gateway chart's default Service (status 15021, http2 80, https 443).
 */
export class IngressGateway extends GatewayWorkload {
  constructor(name: string, args: IngressGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    const { externalTrafficPolicy, loadBalancerSourceRanges, staticIp, ipResources, ...workload } = args;
    super(
      COMPONENT_TYPES.ingressGateway,
      "ingress-gateway",
      name,
      {
        ...workload,
        service: {
          type: "LoadBalancer",
          annotations: {
            [AZURE_PIP_NAME]: staticIp.name,
            [AZURE_LB_RESOURCE_GROUP]: staticIp.resourceGroupName,
          },
          externalTrafficPolicy,
          loadBalancerSourceRanges,
          ports: [
            { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
            { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
            { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
          ],
          // Depending on the IP (and its role assignment) orders the Service's creation after them and its deletion
          // before them: Azure refuses to delete an IP a load balancer still holds.
          dependsOn: ipResources,
        },
      },
      opts,
    );
    this.registerOutputs({ selector: this.selector, namespace: this.namespace });
  }
}
