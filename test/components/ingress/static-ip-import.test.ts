// Adopting the production IP and its Network Contributor grant with Pulumi import, against the simulated Azure
// answering the provider's Read with the live GET bodies (test/fixtures/azure): the import must be the only step.
import assignmentBody from "../../fixtures/azure/network-contributor-assignment.json";
import publicIpBody from "../../fixtures/azure/public-ip-with-dns-label.json";
import { type Harness, mockRuntime } from "../../harness";
import type * as Ingress from "../../../components/ingress";

const SUB = "00000000-0000-0000-0000-000000000000";
const ipId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-buildingbite-prod-network/providers/Microsoft.Network/publicIPAddresses/${name}`;
const assignmentId = (guid: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-buildingbite-prod-network/providers/Microsoft.Authorization/roleAssignments/${guid}`;
const PRINCIPAL = "7d3e2f1a-0b9c-4d8e-a7f6-5e4d3c2b1a09";

/** The captured IP under another name (each StaticIp here adopts its own IP). */
function liveIp(name: string, properties: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return { ...publicIpBody, ...top, name, id: ipId(name), properties: { ...publicIpBody.properties, ...properties } };
}
function liveAssignment(guid: string, properties: Record<string, unknown> = {}) {
  return {
    ...assignmentBody,
    id: assignmentId(guid),
    name: guid,
    properties: { ...assignmentBody.properties, principalId: PRINCIPAL, ...properties },
  };
}

const GUID_MATCHING = "5f1c8e2a-7b3d-4c9e-a0f1-2b3c4d5e6f70";
const GUID_NO_DESCRIPTION = "6a2d9f3b-8c4e-4d0f-b1a2-3c4d5e6f7081";

let h: Harness;
let ingress: typeof Ingress;

const base = {
  resourceGroupName: "rg-buildingbite-prod-network",
  grantNetworkContributor: false,
  location: "koreacentral",
  zones: ["1", "2", "3"],
  tags: { environment: "prod", owner: "platform" },
  idleTimeoutInMinutes: 4,
  clusterPrincipalId: PRINCIPAL,
  expectedAddress: "20.249.144.238",
};

beforeAll(async () => {
  h = await mockRuntime({
    publicIpAddress: "20.249.144.238",
    azureResources: {
      [ipId("pip-as-captured")]: liveIp("pip-as-captured"),
      [ipId("pip-untagged-config")]: liveIp("pip-untagged-config"),
      [ipId("pip-idle-10")]: liveIp("pip-idle-10", { idleTimeoutInMinutes: 10 }),
      [ipId("pip-ddos-plan")]: liveIp("pip-ddos-plan", {
        ddosSettings: {
          protectionMode: "Enabled",
          ddosProtectionPlan: {
            id: `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/ddosProtectionPlans/ddos`,
          },
        },
        ipTags: [{ ipTagType: "RoutingPreference", tag: "Internet" }],
      }),
      [assignmentId(GUID_MATCHING)]: liveAssignment(GUID_MATCHING),
      [assignmentId(GUID_NO_DESCRIPTION)]: liveAssignment(GUID_NO_DESCRIPTION, { description: null }),
    },
  });
  ingress = await import("../../../components/ingress");
  new ingress.StaticIp("captured", { ...base, name: "pip-as-captured", adoptResourceId: ipId("pip-as-captured") });
  new ingress.StaticIp("untagged", {
    ...base,
    name: "pip-untagged-config",
    tags: {},
    adoptResourceId: ipId("pip-untagged-config"),
  });
  new ingress.StaticIp("idle", {
    ...base,
    name: "pip-idle-10",
    idleTimeoutInMinutes: 10,
    adoptResourceId: ipId("pip-idle-10"),
  });
  new ingress.StaticIp("ddos", { ...base, name: "pip-ddos-plan", adoptResourceId: ipId("pip-ddos-plan") });
  new ingress.StaticIp("granted", {
    ...base,
    name: "pip-granted",
    adoptRoleAssignment: {
      id: assignmentId(GUID_MATCHING),
      description: "AKS ingress load balancer uses pip-istio-ingress-prod",
    },
  });
  new ingress.StaticIp("granted-bare", {
    ...base,
    name: "pip-granted-bare",
    adoptRoleAssignment: { id: assignmentId(GUID_NO_DESCRIPTION) },
  });
  new ingress.StaticIp("granted-undescribed", {
    ...base,
    name: "pip-granted-undescribed",
    adoptRoleAssignment: { id: assignmentId(GUID_MATCHING) },
  });
  await h.settle();
});

const importOf = (urnSuffix: string) => {
  const found = h.imports().filter((i) => i.urn.endsWith(`::${urnSuffix}`));
  if (found.length !== 1) throw new Error(`expected one import of ${urnSuffix}, found ${found.length}`);
  return found[0] as (typeof found)[number];
};

describe("the adopted static IP", () => {
  test("is imported with no update and no replace when the stack file states its zones, tags and idle timeout", () => {
    expect(importOf("captured-pip")).toMatchObject({ step: "import", differences: [] });
  });

  test("keeps the DNS label, DDoS settings and address it has (properties the stack leaves alone)", () => {
    const ip = h.one("azure-native:network:PublicIPAddress", "captured-pip");
    expect(ip.inputs).not.toHaveProperty("dnsSettings");
    expect(ip.inputs).not.toHaveProperty("ddosSettings");
    expect(ip.inputs).not.toHaveProperty("ipAddress");
    expect(importOf("ddos-pip").step).toBe("import");
  });

  test("sends the idle timeout Azure reports, so 4 minutes (Azure's default) is not read as a removal", () => {
    expect(h.one("azure-native:network:PublicIPAddress", "captured-pip").inputs.idleTimeoutInMinutes).toBe(4);
    expect(importOf("idle-pip").step).toBe("import");
  });

  test("shows a live tag the stack file leaves out as the update that would delete it", () => {
    expect(importOf("untagged-pip")).toMatchObject({
      step: "import, then update",
      differences: [{ path: "tags", change: "delete", replace: false }],
    });
  });
});

describe("the adopted Network Contributor grant", () => {
  test("is imported by its id, with its scope and name spelt as the id spells them", () => {
    const role = h.one("azure-native:authorization:RoleAssignment", "granted-network-contributor");
    expect(role.importId).toBe(assignmentId(GUID_MATCHING));
    expect(role.inputs).toMatchObject({
      roleAssignmentName: GUID_MATCHING,
      scope: `/subscriptions/${SUB}/resourceGroups/rg-buildingbite-prod-network`,
      principalId: PRINCIPAL,
      principalType: "ServicePrincipal",
    });
  });

  test("matches the live assignment field for field, description included", () => {
    expect(importOf("granted-network-contributor")).toMatchObject({ step: "import", differences: [] });
    expect(importOf("granted-bare-network-contributor")).toMatchObject({ step: "import", differences: [] });
    expect(
      h.one("azure-native:authorization:RoleAssignment", "granted-bare-network-contributor").inputs,
    ).not.toHaveProperty("description");
  });

  test("shows a live description the config leaves out as the update that would remove it", () => {
    expect(importOf("granted-undescribed-network-contributor")).toMatchObject({
      step: "import, then update",
      differences: [{ path: "description", change: "delete" }],
    });
  });

  test("is neither created nor imported when the config asks for neither", () => {
    expect(
      h
        .all("azure-native:authorization:RoleAssignment")
        .map((r) => r.name)
        .sort(),
    ).toEqual([
      "granted-bare-network-contributor",
      "granted-network-contributor",
      "granted-undescribed-network-contributor",
    ]);
  });
});
