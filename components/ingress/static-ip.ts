import * as azureAuthorization from "@pulumi/azure-native/authorization";
import * as azureNetwork from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";

/** Built-in role "Network Contributor": what AKS needs to bind a load balancer to an IP outside its node group. */
export const NETWORK_CONTRIBUTOR_ROLE_ID = "4d97b98b-1d4f-4787-a291-c67834d212e7";

export interface StaticIpArgs {
  /** Name of the public IP (config staticIp.name). */
  name: string;
  /** Resource group of the IP: the configured one, or the cluster's node resource group. */
  resourceGroupName: pulumi.Input<string>;
  /** Grant the cluster identity Network Contributor on the IP's group (config staticIp.grantNetworkContributor). */
  grantNetworkContributor: boolean;
  /** Region; the cluster's. */
  location: pulumi.Input<string>;
  /** Availability zones (config staticIp.zones); [] for none. */
  zones: string[];
  /** Azure tags (config staticIp.tags). */
  tags: Record<string, string>;
  /** Principal id of the cluster identity, for the role assignment. */
  clusterPrincipalId: pulumi.Input<string>;
  /** Resource id of an existing IP to adopt with Pulumi import (config staticIp.adoptResourceId). */
  adoptResourceId?: string;
  /** The address the IP must have (config staticIp.expectedAddress). */
  expectedAddress?: string;
}

/**
 * The ingress gateway's Standard static public IP. It is protected: DNS for every host points at it, so losing it
 * is an outage, and `pulumi destroy` must fail until someone unprotects it on purpose.
 */
export class StaticIp extends pulumi.ComponentResource {
  /** The Azure resource. */
  readonly publicIp: azureNetwork.PublicIPAddress;
  /** Name of the IP, for the AKS annotation service.beta.kubernetes.io/azure-pip-name; known once the address check passed. */
  readonly name: pulumi.Output<string>;
  /** Resource group of the IP, for service.beta.kubernetes.io/azure-load-balancer-resource-group. */
  readonly resourceGroupName: pulumi.Output<string>;
  /** The address. */
  readonly address: pulumi.Output<string>;
  /** The resources a Service bound to this IP must wait for (the IP, and the role assignment if any). */
  readonly bindable: pulumi.Resource[];

  constructor(name: string, args: StaticIpArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:StaticIp", name, {}, opts);

    this.publicIp = new azureNetwork.PublicIPAddress(
      `${name}-pip`,
      {
        publicIpAddressName: args.name,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        ...(args.zones.length > 0 ? { zones: args.zones } : {}),
        // Omitted when empty: an adopted IP without tags must not show a diff, or the import fails.
        ...(Object.keys(args.tags).length > 0 ? { tags: args.tags } : {}),
      },
      {
        parent: this,
        protect: true,
        ...(args.adoptResourceId ? { import: args.adoptResourceId } : {}),
      },
    );

    this.bindable = [this.publicIp];
    if (args.grantNetworkContributor) {
      const subscriptionId = azureAuthorization.getClientConfigOutput({ parent: this }).subscriptionId;
      this.bindable.push(
        new azureAuthorization.RoleAssignment(
          `${name}-network-contributor`,
          {
            principalId: args.clusterPrincipalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR_ROLE_ID}`,
            scope: pulumi.interpolate`/subscriptions/${subscriptionId}/resourceGroups/${args.resourceGroupName}`,
            description: `AKS binds its ingress load balancer to public IP ${args.name}`,
          },
          { parent: this },
        ),
      );
    }

    const expected = args.expectedAddress;
    // Adopting the wrong IP would silently move every DNS name. The address is checked before anything binds to the
    // IP: the name the gateway Service uses is only released once the check has passed.
    this.address = this.publicIp.ipAddress.apply((actual) => {
      if (expected && actual && actual !== expected) {
        throw new pulumi.ResourceError(
          `public IP ${args.name} has address ${actual}, but config staticIp.expectedAddress is ${expected}: ` +
            "check staticIp.adoptResourceId before continuing",
          this,
          true,
        );
      }
      return actual ?? "";
    });
    this.name = pulumi.all([this.publicIp.name, this.address]).apply(([ipName]) => ipName);
    this.resourceGroupName = pulumi.output(args.resourceGroupName);

    // The state records the IP as Azure reports it; the checked values above are for consumers, whose registration
    // then fails with the check's message.
    this.registerOutputs({
      name: this.publicIp.name,
      address: this.publicIp.ipAddress,
      resourceGroupName: this.resourceGroupName,
    });
  }
}
