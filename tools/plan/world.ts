// The simulated Azure and Kubernetes the offline plan runs against: what the provider would answer for reads
// (invokes) and which outputs a create would compute. It never pretends to know more than the stack config says.
// This is the one file of tools/plan a new area of the program extends: when the area reads something from Azure or
// the cluster (an invoke, a computed output), its simulated answer goes here. Everything else of tools/plan and the
// policy host (tools/policy-host) works for any program unchanged.
import crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { AZURE_IMPORT_SPECS, pathParameters, responseOutputs } from "./azure-import";

export interface WorldOptions {
  /** Region of an existing cluster (config azure-native:location when set). */
  location: string;
  /** Subscription of the simulated account. */
  subscriptionId: string;
  /** Address the adopted or new public IP reports (config staticIp.expectedAddress when set). */
  publicIpAddress: string;
  /** Preview mode: computed outputs of created resources are unknown, as in `pulumi preview`. */
  preview: boolean;
  /**
   * The adopted public IP as the stack file describes it (config staticIp): Azure answers its GET with these values
   * plus what Azure sets on every Standard IP by itself.
   */
  adoptedIp?: { zones?: string[]; tags?: Record<string, string>; idleTimeoutInMinutes?: number };
  /** GET bodies by resource id, as `az rest --method get` prints them (tests); they win over the simulated ones. */
  azureResources?: Record<string, Record<string, unknown>>;
  /** Kubernetes version an existing cluster reports (plan --cluster-version); default SIMULATED_KUBERNETES_VERSION. */
  clusterKubernetesVersion?: string;
}

/** The mocks, plus the GET answers the provider's Read gets when a resource is imported. */
export interface PlanMocks extends pulumi.runtime.Mocks {
  /** The body Azure answers `GET <id>?api-version=<the type's>` with; undefined when the world has none. */
  read(type: string, id: string): Record<string, unknown> | undefined;
}

/**
 * What the simulated existing cluster reports as its Kubernetes version when the plan is not told
 * (`npm run plan -- <stack> --cluster-version X.Y.Z`): 1.32.7, an AKS patch released in September 2025 (Azure/AKS
 * release notes), as a cluster that left Istio 1.23's range (1.27-1.30) with AKS's upgrades would run. Read yours
 * with `az aks show -g <group> -n <cluster> --query currentKubernetesVersion -o tsv`.
 */
export const SIMULATED_KUBERNETES_VERSION = "1.32.7";

/** TEST-NET-2 (RFC 5737): an address that can never be anyone's real ingress. */
export const DOCUMENTATION_ADDRESS = "198.51.100.10";
export const PLAN_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/**
 * The values the simulated world made up rather than read from the stack config, with what each stands for: the plan
 * marks where they end up (resources.json `simulated`, the summary), since a real run gets them from Azure.
 */
export class SimulatedValues {
  private readonly values = new Map<string, string>();

  /** Records a made-up value and returns it. */
  add(value: string, what: string): string {
    if (value && !this.values.has(value)) this.values.set(value, what);
    return value;
  }

  texts(): string[] {
    return [...this.values.keys()];
  }

  /** What a recorded value stands for ("subscription id", "principal id", ...). */
  what(value: string): string | undefined {
    return this.values.get(value);
  }
}

/** A stable fake UUID derived from a seed, so plans are reproducible. */
export function fakeUuid(seed: string): string {
  const h = crypto.createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** "1.32.7" -> "1.32": clusters created with a minor alias report the alias as kubernetesVersion. */
function minorOnly(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

function str(v: unknown, fallback = ""): string {
  return typeof v === "string" ? v : fallback;
}

/** A kubeconfig shaped like AKS's Entra ID user credentials (format=exec): kubelogin with device code. */
function fakeKubeconfig(cluster: string, admin: boolean): string {
  const server = `https://${cluster}-dns.hcp.example.azmk8s.io:443`;
  const user = admin
    ? { name: `clusterAdmin_${cluster}`, user: { token: "plan-token" } }
    : {
        name: `clusterUser_${cluster}`,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kubelogin",
            args: [
              "get-token",
              "--environment",
              "AzurePublicCloud",
              "--server-id",
              "6dae42f8-4368-4678-94ff-3960e28e3630",
              "--client-id",
              "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
              "--tenant-id",
              PLAN_SUBSCRIPTION,
              "--login",
              "devicecode",
            ],
            interactiveMode: "IfAvailable",
          },
        },
      };
  return YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server, "certificate-authority-data": "cGxhbg==" } }],
    contexts: [{ name: cluster, context: { cluster, user: user.name } }],
    "current-context": cluster,
    users: [user],
  });
}

/** Network Contributor, as in components/ingress/static-ip.ts (the world does not import the program). */
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";

/** `simulated` records what the world makes up (see SimulatedValues); the subscription and address are the caller's. */
export function planMocks(world: WorldOptions, simulated = new SimulatedValues()): PlanMocks {
  const sub = world.subscriptionId;
  const principal = (seed: string) => simulated.add(fakeUuid(seed), "principal id");
  // The managed identity the simulated cluster reported; an existing role assignment belongs to it.
  let clusterPrincipal = principal("identity");

  /**
   * A GET body as Azure returns it at the API version azure-native uses. A Standard IP always carries
   * idleTimeoutInMinutes 4 (unless changed), ddosSettings.protectionMode "VirtualNetworkInherited" and an empty
   * ipTags list, and, while a load balancer uses it, ipConfiguration (Microsoft.Network 2024-05-01, "Get public IP
   * address" example response). A role assignment made with `az role assignment create` has no description or condition.
   */
  const read = (type: string, id: string): Record<string, unknown> | undefined => {
    const given = Object.entries(world.azureResources ?? {}).find(([k]) => k.toLowerCase() === id.toLowerCase());
    if (given) return structuredClone(given[1]);
    const spec = AZURE_IMPORT_SPECS[type];
    const params = spec ? pathParameters(spec.path, id) : undefined;
    if (!params) return undefined;
    switch (type) {
      case "azure-native:network:PublicIPAddress": {
        const ip = world.adoptedIp ?? {};
        const rg = params.resourceGroupName ?? "";
        return {
          name: params.publicIpAddressName,
          id,
          etag: `W/"${fakeUuid(`etag:${id}`)}"`,
          location: world.location,
          ...(ip.tags && Object.keys(ip.tags).length > 0 ? { tags: ip.tags } : {}),
          ...(ip.zones && ip.zones.length > 0 ? { zones: ip.zones } : {}),
          type: "Microsoft.Network/publicIPAddresses",
          sku: { name: "Standard", tier: "Regional" },
          properties: {
            provisioningState: "Succeeded",
            resourceGuid: fakeUuid(`guid:${id}`),
            ipAddress: world.publicIpAddress,
            publicIPAddressVersion: "IPv4",
            publicIPAllocationMethod: "Static",
            idleTimeoutInMinutes: ip.idleTimeoutInMinutes ?? 4,
            ipTags: [],
            ddosSettings: { protectionMode: "VirtualNetworkInherited" },
            ipConfiguration: {
              id: `/subscriptions/${sub}/resourceGroups/MC_${rg}/providers/Microsoft.Network/loadBalancers/kubernetes/frontendIPConfigurations/${fakeUuid(`frontend:${id}`)}`,
            },
          },
        };
      }
      case "azure-native:authorization:RoleAssignment": {
        const scopeSub = /^\/subscriptions\/([^/]+)/i.exec(params.scope ?? "")?.[1] ?? sub;
        return {
          id,
          type: "Microsoft.Authorization/roleAssignments",
          name: params.roleAssignmentName,
          properties: {
            roleDefinitionId: `/subscriptions/${scopeSub}/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`,
            principalId: clusterPrincipal,
            principalType: "ServicePrincipal",
            scope: params.scope,
            condition: null,
            conditionVersion: null,
            createdOn: "2025-03-04T05:06:07.0000000Z",
            updatedOn: "2025-03-04T05:06:07.0000000Z",
            createdBy: fakeUuid("operator"),
            updatedBy: fakeUuid("operator"),
            delegatedManagedIdentityResourceId: null,
            description: null,
          },
        };
      }
      default:
        return undefined;
    }
  };

  return {
    read,
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      const inputs = args.inputs as Record<string, unknown>;
      switch (args.token) {
        case "azure-native:containerservice:getManagedCluster": {
          const k8sVersion =
            world.clusterKubernetesVersion ?? simulated.add(SIMULATED_KUBERNETES_VERSION, "Kubernetes version (--cluster-version)");
          const rg = str(inputs.resourceGroupName);
          const name = str(inputs.resourceName);
          clusterPrincipal = principal(`identity:${rg}/${name}`);
          return {
            id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
            name,
            location: world.location,
            kubernetesVersion: minorOnly(k8sVersion),
            currentKubernetesVersion: k8sVersion,
            nodeResourceGroup: `MC_${rg}_${name}_${world.location}`,
            identity: { type: "SystemAssigned", principalId: principal(`identity:${rg}/${name}`), tenantId: sub },
          };
        }
        case "azure-native:containerservice:listManagedClusterUserCredentials":
        case "azure-native:containerservice:listManagedClusterAdminCredentials": {
          const admin = args.token.endsWith("AdminCredentials");
          const value = Buffer.from(fakeKubeconfig(str(inputs.resourceName), admin)).toString("base64");
          return { kubeconfigs: [{ name: admin ? "clusterAdmin" : "clusterUser", value }] };
        }
        case "azure-native:authorization:getClientConfig":
          return {
            clientId: simulated.add(fakeUuid("client"), "client id"),
            objectId: principal("object"),
            subscriptionId: sub,
            tenantId: sub,
          };
        default:
          throw new Error(`the offline plan has no answer for the invoke ${args.token}`);
      }
    },

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
      const inputs = args.inputs as Record<string, unknown>;
      // In a preview nothing is created: ids and computed outputs stay unknown (imports are read, so known).
      if (world.preview && !args.id) return { id: undefined, state: previewState(args.type, inputs) };
      // An import: the provider's Read answers with the live resource's outputs.
      const live = args.id ? read(args.type, args.id) : undefined;
      if (args.id && live) return { id: args.id, state: responseOutputs(live) };
      switch (args.type) {
        case "azure-native:network:PublicIPAddress": {
          const name = str(inputs.publicIpAddressName, args.name);
          const rg = str(inputs.resourceGroupName);
          const id = args.id || `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/publicIPAddresses/${name}`;
          return { id, state: { ...inputs, name, ipAddress: world.publicIpAddress } };
        }
        case "azure-native:resources:ResourceGroup": {
          const name = str(inputs.resourceGroupName, args.name);
          return { id: `/subscriptions/${sub}/resourceGroups/${name}`, state: { ...inputs, name } };
        }
        case "azure-native:containerservice:ManagedCluster": {
          const name = str(inputs.resourceName, args.name);
          const rg = str(inputs.resourceGroupName);
          return {
            id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
            state: {
              ...inputs,
              name,
              // AKS resolves a "1.32" alias to the newest patch; the plan cannot know which, so it keeps the input.
              currentKubernetesVersion: str(inputs.kubernetesVersion),
              identity: { type: "SystemAssigned", principalId: principal(`identity:${rg}/${name}`), tenantId: sub },
            },
          };
        }
        case "random:index/randomPassword:RandomPassword":
          // A generated secret: a stable stand-in of the requested length, never a real password.
          return {
            id: args.id || `${args.name}-id`,
            state: { ...inputs, result: "p".repeat(typeof inputs.length === "number" ? inputs.length : 16) },
          };
        default:
          return { id: args.id || `${args.name}-id`, state: inputs };
      }
    },
  };
}

/**
 * What a preview knows of a resource about to be created: its inputs, plus the computed outputs its provider marks
 * unknown. azure-native reports a new cluster's identity.principalId unknown; left out, the identity would read as
 * known and without a principal, and code that needs one would fail a preview that `pulumi preview` passes.
 */
function previewState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type === "azure-native:containerservice:ManagedCluster" && inputs.identity && typeof inputs.identity === "object") {
    return { ...inputs, identity: { ...inputs.identity, principalId: pulumi.runtime.unknownValue } };
  }
  return inputs;
}
