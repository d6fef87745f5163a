import type * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { COMPONENT_TYPES } from "../../policy/contract";
import { GatewayWorkload } from "../shared/gateway-workload";

/** AKS annotations that bind a LoadBalancer Service to an existing public IP (spec.loadBalancerIP is deprecated). */
export const AZURE_PIP_NAME = "service.beta.kubernetes.io/azure-pip-name";
export const AZURE_LB_RESOURCE_GROUP = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

export interface IngressGatewayArgs {
  /** Namespace of the gateway (config ingressGateway.namespace). */
  namespace: string;
  /** Create the namespace; false for the control-plane namespace, which the base release creates. */
  createNamespace: boolean;
  /** Name of the Deployment/Service/ServiceAccount (config ingressGateway.name). */
  name: string;
  /** Control-plane revision (or tag) whose injector fills in the proxy (label istio.io/rev). */
  revision: string;
  /** HorizontalPodAutoscaler settings (config ingressGateway.autoscaling). */
  autoscaling: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  /** PodDisruptionBudget minAvailable (config ingressGateway.podDisruptionBudget); none when undefined. */
  podDisruptionBudget?: { minAvailable: number };
  /** Envoy resources (config ingressGateway.resources). */
  resources: Resources;
  /** Service externalTrafficPolicy (config ingressGateway.externalTrafficPolicy). */
  externalTrafficPolicy: "Local" | "Cluster";
  /** Load balancer source ranges (config ingressGateway.loadBalancerSourceRanges). */
  loadBalancerSourceRanges: string[];
  /** The static IP the Service binds to, by name and resource group. */
  staticIp: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
  /** The IP and its role assignment: the Service is created after them and so deleted before them. */
  ipResources: pulumi.Resource[];
  /** The control plane: pods are created only once istiod's injection webhook answers. */
  controlPlane: pulumi.Resource[];
}

/**
 * The public ingress gateway: a gateway workload whose LoadBalancer Service holds the static IP, with the ports of the
 * 1.23.4 gateway chart's default Service (status 15021, http2 80, https 443).
 */
export class IngressGateway extends GatewayWorkload {
  constructor(name: string, args: IngressGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      COMPONENT_TYPES.ingressGateway,
      "ingress-gateway",
      name,
      {
        namespace: args.namespace,
        createNamespace: args.createNamespace,
        name: args.name,
        revision: args.revision,
        autoscaling: args.autoscaling,
        ...(args.podDisruptionBudget ? { podDisruptionBudget: args.podDisruptionBudget } : {}),
        resources: args.resources,
        controlPlane: args.controlPlane,
        service: {
          type: "LoadBalancer",
          annotations: {
            [AZURE_PIP_NAME]: args.staticIp.name,
            [AZURE_LB_RESOURCE_GROUP]: args.staticIp.resourceGroupName,
          },
          externalTrafficPolicy: args.externalTrafficPolicy,
          loadBalancerSourceRanges: args.loadBalancerSourceRanges,
          ports: [
            { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
            { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
            { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
          ],
          // Depending on the IP (and its role assignment) orders the Service's creation after them and its deletion
          // before them: Azure refuses to delete an IP a load balancer still holds.
          dependsOn: args.ipResources,
        },
      },
      opts,
    );
    this.registerOutputs({ selector: this.selector, namespace: this.namespace });
  }
}
