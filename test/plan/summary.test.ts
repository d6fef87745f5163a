// What the plan summary and resources.json say about themselves: which values the simulated world made up, and what
// the "resources" and "analyzed" figures each count.
import { plannedResources } from "../../tools/plan/contract";
import type { RecordedResource } from "../../tools/plan/monitor";
import { analyzedCount } from "../../tools/policy-host";
import { resourceCounts, simulatedLines } from "../../tools/plan/summary";
import { DOCUMENTATION_ADDRESS, PLAN_SUBSCRIPTION, planMocks, SimulatedValues } from "../../tools/plan/world";

const STACK = "urn:pulumi:prod::aks-mesh::pulumi:pulumi:Stack::aks-mesh-prod";

function recorded(type: string, name: string, inputs: Record<string, unknown>, parent: string | null = STACK): RecordedResource {
  return {
    urn: `urn:pulumi:prod::aks-mesh::${type}::${name}`,
    type,
    name,
    parent,
    dependsOn: [],
    protect: false,
    importId: null,
    custom: true,
    aliasSpecs: [],
    aliases: [],
    inputs,
  };
}

const world = { location: "koreacentral", subscriptionId: PLAN_SUBSCRIPTION, publicIpAddress: DOCUMENTATION_ADDRESS, preview: false };

describe("simulated values", () => {
  test("the simulated world records the principal ids it makes up", async () => {
    const simulated = new SimulatedValues();
    const mocks = planMocks(world, simulated);
    const cluster = (await mocks.call({
      token: "azure-native:containerservice:getManagedCluster",
      inputs: { resourceGroupName: "rg", resourceName: "aks" },
      provider: "",
    })) as { identity: { principalId: string } };
    expect(simulated.what(cluster.identity.principalId)).toBe("principal id");
  });

  test("resources.json lists, per resource, the input fields holding a made-up value", () => {
    const role = recorded("azure-native:authorization:RoleAssignment", "ra", {
      principalId: "11111111-2222-4333-8444-555555555555",
      scope: `/subscriptions/${PLAN_SUBSCRIPTION}/resourceGroups/rg`,
      principalType: "ServicePrincipal",
    });
    const [planned] = plannedResources([role], ["11111111-2222-4333-8444-555555555555", PLAN_SUBSCRIPTION]);
    expect(planned?.simulated).toEqual(["principalId", "scope"]);
  });

  test("a resource with no made-up value keeps the contract's fields only (the addition is additive)", () => {
    const ns = recorded("kubernetes:core/v1:Namespace", "shop", { metadata: { name: "shop" } });
    const [planned] = plannedResources([ns], [PLAN_SUBSCRIPTION]);
    expect(Object.keys(planned ?? {}).sort()).toEqual(["aliases", "dependsOn", "inputs", "name", "parent", "protect", "type", "urn"]);
  });

  test("the summary names each made-up value and where it is, outputs included", () => {
    const simulated = new SimulatedValues();
    simulated.add(DOCUMENTATION_ADDRESS, "address");
    simulated.add(PLAN_SUBSCRIPTION, "subscription id");
    const resources = plannedResources(
      [recorded("azure-native:authorization:RoleAssignment", "ra", { scope: `/subscriptions/${PLAN_SUBSCRIPTION}` })],
      simulated.texts(),
    );
    expect(simulatedLines(resources, { ingressIp: DOCUMENTATION_ADDRESS }, simulated)).toEqual([
      `Simulated values (made up offline; a real run reads them from Azure): address ${DOCUMENTATION_ADDRESS}, subscription id ${PLAN_SUBSCRIPTION}`,
      '  in 1 input field of 1 resource (listed under "simulated" in resources.json)',
    ]);
  });
});

describe("the counts", () => {
  test("the resource figure says how many are the stack, components and custom resources", () => {
    const resources = plannedResources([
      recorded("pulumi:pulumi:Stack", "aks-mesh-prod", {}, null),
      recorded("aks-mesh:istio:ControlPlane", "istio", {}),
      { ...recorded("kubernetes:helm.sh/v3:Release", "istiod", {}), parent: "urn:pulumi:prod::aks-mesh::aks-mesh:istio:ControlPlane::istio" },
      recorded("kubernetes:core/v1:Namespace", "shop", {}),
    ]);
    expect(resourceCounts(resources)).toBe("4 resources (1 stack, 1 components, 2 custom resources)");
  });

  test("the analyzed figure is the plan's resources plus the default providers, and says so", () => {
    expect(analyzedCount({ analyzed: 55, defaultProviders: 2 }, 53)).toBe(
      "55 resources analyzed (the plan's 53 and the 2 default providers the engine adds)",
    );
  });

  test("a preview pass that registered a different number than the plan is named as such", () => {
    expect(analyzedCount({ analyzed: 50, defaultProviders: 1 }, 53)).toBe(
      "50 resources analyzed (the preview pass's 49, where the plan has 53, and the 1 default provider the engine adds)",
    );
  });
});
