import YAML from "yaml";
import { type Harness, mockRuntime, valueOf } from "../../harness";
import type * as Cluster from "../../../components/cluster";
import {
  clusterKubernetesVersion,
  clusterNetworkPolicy,
  clusterPrincipalId,
} from "../../../components/cluster/existing-cluster";
import { SIMULATED_KUBERNETES_VERSION } from "../../../tools/plan/world";

let h: Harness;
let cluster: typeof Cluster;
let existing: Cluster.ExistingCluster;
let created: Cluster.AksCluster;
let declared: Cluster.ExistingCluster;

beforeAll(async () => {
  h = await mockRuntime({ location: "koreacentral" });
  cluster = await import("../../../components/cluster");
  existing = new cluster.ExistingCluster("prod", {
    resourceGroupName: "rg-prod",
    clusterName: "aks-prod",
    credentials: "user",
    kubeloginMode: "azurecli",
    upsertExistingObjects: false,
  });
  new cluster.ExistingCluster("ctx", {
    resourceGroupName: "rg-prod",
    clusterName: "aks-prod",
    credentials: "context",
    kubeloginMode: "azurecli",
    kubeconfigContext: "aks-prod-admin",
    upsertExistingObjects: true,
  });
  declared = new cluster.ExistingCluster("declared", {
    resourceGroupName: "rg-prod",
    clusterName: "aks-prod",
    credentials: "user",
    kubeloginMode: "azurecli",
    upsertExistingObjects: false,
    networkPolicy: "none",
  });
  created = new cluster.AksCluster("dev", {
    resourceGroupName: "rg-dev",
    clusterName: "aks-dev",
    location: "koreacentral",
    kubernetesVersion: "1.32",
    nodeCount: 2,
    vmSize: "Standard_D4s_v5",
    zones: ["1", "2"],
    tier: "Premium",
    supportPlan: "AKSLongTermSupport",
    upsertExistingObjects: false,
  });
  await h.settle();
});

const PROVIDER = "pulumi:providers:kubernetes";

describe("ExistingCluster", () => {
  test("reads the node resource group and region of the cluster it does not own", async () => {
    expect(await valueOf(existing.nodeResourceGroup)).toBe("MC_rg-prod_aks-prod_koreacentral");
    expect(await valueOf(existing.location)).toBe("koreacentral");
  });

  test("reports the Kubernetes version the cluster read returns (currentKubernetesVersion, the full patch)", async () => {
    expect(await valueOf(existing.kubernetesVersion)).toBe(SIMULATED_KUBERNETES_VERSION);
  });

  test("reads the network policy engine from the cluster's network profile; an absent one means none", () => {
    expect(clusterNetworkPolicy({ networkProfile: { networkPolicy: "calico" } })).toBe("calico");
    expect(clusterNetworkPolicy({ networkProfile: {} })).toBe("none");
    expect(clusterNetworkPolicy({ networkProfile: { networkPolicy: "none" } })).toBe("none");
  });

  test("says the engine is unknown when neither the read nor config says, and uses config's where the read is silent", async () => {
    // The offline plan's simulated read has no network profile: it never makes one up.
    expect(clusterNetworkPolicy({})).toBeUndefined();
    expect(await valueOf(existing.networkPolicyEngine)).toBe("unknown");
    expect(await valueOf(declared.networkPolicyEngine)).toBe("none");
  });

  test("falls back to kubernetesVersion when the read has no currentKubernetesVersion", () => {
    expect(clusterKubernetesVersion("aks", { currentKubernetesVersion: "", kubernetesVersion: "1.33" })).toBe("1.33");
    expect(() => clusterKubernetesVersion("aks", { currentKubernetesVersion: "" })).toThrow(/no Kubernetes version/);
  });

  test("modifies nothing in Azure: it only reads", () => {
    const azure = h.resources().filter((r) => r.type.startsWith("azure-native:") && r.parent?.includes("::prod"));
    expect(azure).toEqual([]);
  });

  test("hands the Kubernetes provider the kubeconfig as a secret", () => {
    expect(h.one(PROVIDER, "prod-k8s").inputs.kubeconfig).toBe("[secret]");
  });

  test("switches kubelogin to Azure CLI login so a non-interactive pulumi up never waits on a device code", async () => {
    const kubeconfig = YAML.parse(await valueOf(existing.kubeconfig)) as {
      users: { user: { exec: { args: string[] } } }[];
    };
    const args = kubeconfig.users[0]?.user.exec.args ?? [];
    expect(args.slice(-2)).toEqual(["--login", "azurecli"]);
    expect(args).not.toContain("devicecode");
    expect(args).not.toContain("--client-id");
    expect(args).toEqual(expect.arrayContaining(["--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]));
  });

  test("never upserts existing cluster objects unless the takeover asks for it", () => {
    expect(h.one(PROVIDER, "prod-k8s").inputs.upsertExistingObjects).toBe("false");
    expect(h.one(PROVIDER, "ctx-k8s").inputs.upsertExistingObjects).toBe("true");
  });

  test("uses the ambient kubeconfig context when asked, with no kubeconfig of its own", () => {
    const inputs = h.one(PROVIDER, "ctx-k8s").inputs;
    expect(inputs.context).toBe("aks-prod-admin");
    expect(inputs).not.toHaveProperty("kubeconfig");
  });

  test("refuses a cluster without a managed identity, which could not bind the load balancer to the IP", () => {
    expect(() => clusterPrincipalId("aks", undefined)).toThrow(/has no managed identity/);
  });

  test("takes the principal of a user-assigned cluster identity", () => {
    const identity = {
      type: "UserAssigned",
      principalId: "",
      tenantId: "",
      userAssignedIdentities: { id: { principalId: "p-1", clientId: "c" } },
    };
    expect(clusterPrincipalId("aks", identity)).toBe("p-1");
  });
});

describe("AksCluster", () => {
  const aks = () => h.one("azure-native:containerservice:ManagedCluster", "dev-aks");

  test("creates the cluster in its own resource group and region", () => {
    expect(h.one("azure-native:resources:ResourceGroup", "dev-rg").inputs).toEqual({
      resourceGroupName: "rg-dev",
      location: "koreacentral",
    });
    expect(aks().inputs).toMatchObject({
      resourceName: "aks-dev",
      location: "koreacentral",
      kubernetesVersion: "1.32",
    });
  });

  test("asks AKS for long-term support on the Premium tier when the stack chooses it", () => {
    expect(aks().inputs.sku).toEqual({ name: "Base", tier: "Premium" });
    expect(aks().inputs.supportPlan).toBe("AKSLongTermSupport");
  });

  test("reports the configured Kubernetes version, which the pack checks against Istio's table", async () => {
    expect(await valueOf(created.kubernetesVersion)).toBe("1.32");
  });

  test("enforces NetworkPolicies with Azure CNI overlay and the Cilium dataplane", () => {
    expect(aks().inputs.networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkDataplane: "cilium",
      networkPolicy: "cilium",
      loadBalancerSku: "standard",
    });
  });

  test("reports Cilium as its network policy engine, which the pack reads", async () => {
    expect(await valueOf(created.networkPolicyEngine)).toBe("cilium");
  });

  test("gives the cluster a system-assigned identity, which binds the load balancer to the static IP", () => {
    expect(aks().inputs.identity).toEqual({ type: "SystemAssigned" });
  });

  test("sizes the system pool from config, across the configured zones", () => {
    expect(aks().inputs.agentPoolProfiles).toEqual([
      expect.objectContaining({
        name: "system",
        mode: "System",
        count: 2,
        vmSize: "Standard_D4s_v5",
        availabilityZones: ["1", "2"],
      }),
    ]);
  });

  test("reads the kubeconfig only after the cluster exists, as a secret", async () => {
    expect(h.one(PROVIDER, "dev-k8s").inputs.kubeconfig).toBe("[secret]");
    expect(await valueOf(created.kubeconfig)).toContain("aks-dev");
  });
});

describe("kubeconfig", () => {
  const certificateConfig = YAML.stringify({ users: [{ name: "admin", user: { "client-certificate-data": "x" } }] });

  test("leaves certificate kubeconfigs untouched", () => {
    expect(cluster.useKubeloginMode(certificateConfig, "azurecli")).toBe(certificateConfig);
  });

  test("keeps the client id for service-principal login, which needs it", () => {
    const exec = {
      command: "kubelogin",
      args: ["get-token", "--server-id", "s", "--client-id", "c", "--login", "devicecode"],
    };
    const out = YAML.parse(
      cluster.useKubeloginMode(YAML.stringify({ users: [{ name: "u", user: { exec } }] }), "spn"),
    ) as {
      users: { user: { exec: { args: string[] } } }[];
    };
    expect(out.users[0]?.user.exec.args).toEqual([
      "get-token",
      "--server-id",
      "s",
      "--client-id",
      "c",
      "--login",
      "spn",
    ]);
  });

  test("decodes the base64 kubeconfig the AKS credential APIs return", () => {
    expect(cluster.decodeKubeconfig(Buffer.from("apiVersion: v1").toString("base64"))).toBe("apiVersion: v1");
  });
});
