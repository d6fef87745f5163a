import * as azureAuthorization from "@pulumi/azure-native/authorization";
import * as azureNetwork from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";

/** Built-in role "Network Contributor": what AKS needs to bind a load balancer to an IP outside its node group. */
export const NETWORK_CONTRIBUTOR_ROLE_ID = "4d97b98b-1d4f-4787-a291-c67834d212e7";

/**
 * Properties of the IP this stack does not own, left as they are (ignoreChanges). An imported IP's recorded inputs
 * are its whole GET response, and azure-native reads a property the program omits as one to delete, so each of these
 * would otherwise be removed (or fail to change) by the `pulumi up` that adopts the IP:
 * - ipAddress: Azure allocates it; staticIp.expectedAddress checks it instead;
 * - ddosSettings: DDoS protection belongs to whoever runs the network (Azure sets protectionMode
 *   "VirtualNetworkInherited" on every Standard IP);
 * - dnsSettings: the cloudapp.azure.com label, set by hand or by AKS for service.beta.kubernetes.io/azure-dns-label-name;
 *   this stack publishes its hosts in Azure DNS (staticIp.dns) instead;
 * - ipTags, publicIPPrefix: fixed when the IP was created (routing preference, prefix), never changed afterwards;
 * - natGateway: set from the NAT gateway's side when one uses the IP.
 */
export const STATIC_IP_UNOWNED_PROPERTIES = [
  "ipAddress",
  "ddosSettings",
  "dnsSettings",
  "ipTags",
  "publicIPPrefix",
  "natGateway",
] as const;

/** An existing role assignment to import, with the fields that must equal the live assignment's. */
export interface AdoptedRoleAssignment {
  /** Its resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Authorization/roleAssignments/<guid>. */
  id: string;
  /** Its description; undefined when it has none (`az role assignment create` sets none). */
  description?: string;
  /** Its ABAC condition and condition version; undefined when it has none. */
  condition?: string;
  conditionVersion?: string;
}

/** The scope and name of a role assignment id, as azure-native parses its path /{scope}/providers/.../{name}. */
export function roleAssignmentIdParts(id: string): { scope: string; name: string; subscriptionId: string } | undefined {
  const m =
    /^(\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/[-\w.()]+)\/providers\/Microsoft\.Authorization\/roleAssignments\/([0-9a-fA-F-]{36})$/i.exec(
      id,
    );
  return m ? { scope: m[1] as string, subscriptionId: m[2] as string, name: m[3] as string } : undefined;
}

export interface StaticIpArgs {
  /** Name of the public IP (config staticIp.name). */
  name: string;
  /** Resource group of the IP: the configured one, or the cluster's node resource group. */
  resourceGroupName: pulumi.Input<string>;
  /** Grant the cluster identity Network Contributor on the IP's group (config staticIp.grantNetworkContributor). */
  grantNetworkContributor: boolean;
  /** Import this existing grant instead of creating one (config staticIp.adoptRoleAssignment). */
  adoptRoleAssignment?: AdoptedRoleAssignment;
  /** Region; the cluster's. */
  location: pulumi.Input<string>;
  /** Availability zones (config staticIp.zones); [] for none. */
  zones: string[];
  /** Azure tags (config staticIp.tags). */
  tags: Record<string, string>;
  /** TCP idle timeout in minutes (config staticIp.idleTimeoutInMinutes; Azure's default is 4). */
  idleTimeoutInMinutes: number;
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
        idleTimeoutInMinutes: args.idleTimeoutInMinutes,
        // Omitted when empty, as Azure's answer for an IP without zones or tags has none.
        ...(args.zones.length > 0 ? { zones: args.zones } : {}),
        ...(Object.keys(args.tags).length > 0 ? { tags: args.tags } : {}),
      },
      {
        parent: this,
        protect: true,
        ignoreChanges: [...STATIC_IP_UNOWNED_PROPERTIES],
        ...(args.adoptResourceId ? { import: args.adoptResourceId } : {}),
      },
    );

    this.bindable = [this.publicIp];
    const adopted = args.adoptRoleAssignment;
    if (adopted) {
      // An imported assignment is registered with exactly what Azure answers for it, or the same `pulumi up` would
      // update it (description, condition) or replace it (scope, name are path parameters): its scope, name and
      // subscription come from the id itself, so their spelling matches.
      const parts = roleAssignmentIdParts(adopted.id);
      if (!parts) throw new Error(`StaticIp ${name}: ${adopted.id} is not a resource-group role assignment id`);
      this.bindable.push(
        new azureAuthorization.RoleAssignment(
          `${name}-network-contributor`,
          {
            roleAssignmentName: parts.name,
            scope: parts.scope,
            principalId: args.clusterPrincipalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${parts.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR_ROLE_ID}`,
            ...(adopted.description !== undefined ? { description: adopted.description } : {}),
            ...(adopted.condition !== undefined ? { condition: adopted.condition } : {}),
            ...(adopted.conditionVersion !== undefined ? { conditionVersion: adopted.conditionVersion } : {}),
          },
          { parent: this, import: adopted.id },
        ),
      );
    } else if (args.grantNetworkContributor) {
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
