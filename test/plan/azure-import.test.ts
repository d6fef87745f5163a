// The offline plan's model of azure-native 3.28.0's import (Read with no state, then Diff against the program's
// inputs after ignoreChanges), checked case by case against the provider's rules.
import publicIpBody from "../fixtures/azure/public-ip-with-dns-label.json";
import {
  azureGetUrl,
  checkImport,
  importDifferences,
  importedInputs,
  pathParameters,
  withIgnoredChanges,
} from "../../tools/plan/azure-import";

const PIP = "azure-native:network:PublicIPAddress";
const ROLE = "azure-native:authorization:RoleAssignment";
const IP_ID = publicIpBody.id;
const ROLE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Authorization/roleAssignments/5f1c8e2a-7b3d-4c9e-a0f1-2b3c4d5e6f70";

describe("importedInputs (the provider's Read with no previous state)", () => {
  const inputs = importedInputs(PIP, IP_ID, publicIpBody);

  test("records every writable property of the GET response, the properties envelope flattened", () => {
    expect(inputs).toEqual({
      resourceGroupName: "rg-buildingbite-prod-network",
      publicIpAddressName: "pip-istio-ingress-prod",
      location: "koreacentral",
      tags: { environment: "prod", owner: "platform" },
      zones: ["1", "2", "3"],
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
      ipAddress: "20.249.144.238",
      idleTimeoutInMinutes: 4,
      dnsSettings: {
        domainNameLabel: "buildingbite-prod",
        fqdn: "buildingbite-prod.koreacentral.cloudapp.azure.com",
      },
      ddosSettings: { protectionMode: "VirtualNetworkInherited" },
    });
  });

  test("leaves out read-only properties, the id and empty lists", () => {
    for (const key of ["id", "etag", "name", "type", "provisioningState", "resourceGuid", "ipConfiguration", "ipTags"]) {
      expect(inputs).not.toHaveProperty(key);
    }
  });

  test("keeps the leading slash of a scope parameter (pulumi-azure-native#4818, in 3.27 and later)", () => {
    const path = "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}";
    expect(pathParameters(path, ROLE_ID)).toEqual({
      scope: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net",
      roleAssignmentName: "5f1c8e2a-7b3d-4c9e-a0f1-2b3c4d5e6f70",
    });
  });

  test("builds the az rest URL at the API version azure-native uses", () => {
    expect(azureGetUrl(PIP, IP_ID)).toBe(`https://management.azure.com${IP_ID}?api-version=2024-05-01`);
    expect(azureGetUrl(ROLE, ROLE_ID)).toBe(`https://management.azure.com${ROLE_ID}?api-version=2022-04-01`);
  });
});

describe("importDifferences (the provider's Diff)", () => {
  const olds = { resourceGroupName: "rg-Net", location: "Korea Central", tags: { a: "1" }, idleTimeoutInMinutes: 4 };

  test("reads a property the program omits as one to delete", () => {
    expect(importDifferences(PIP, olds, { resourceGroupName: "rg-net", location: "koreacentral", tags: { a: "1" } })).toEqual([
      { path: "idleTimeoutInMinutes", change: "delete", replace: false },
    ]);
  });

  test("ignores the case of the resource group and the case and spaces of the location", () => {
    expect(importDifferences(PIP, olds, { ...olds, resourceGroupName: "RG-NET", location: "koreacentral" })).toEqual([]);
  });

  test("compares nested objects key by key", () => {
    expect(importDifferences(PIP, { dnsSettings: { domainNameLabel: "x", fqdn: "x.y" } }, { dnsSettings: { domainNameLabel: "x" } })).toEqual([
      { path: "dnsSettings.fqdn", change: "delete", replace: false },
    ]);
  });

  test("asks for a replacement when a path parameter differs", () => {
    expect(importDifferences(ROLE, { scope: "/subscriptions/s/resourceGroups/a" }, { scope: "subscriptions/s/resourceGroups/a" })).toEqual([
      { path: "scope", change: "update", replace: true },
    ]);
  });
});

describe("withIgnoredChanges (the engine's ignoreChanges)", () => {
  test("takes the imported value of an ignored property, nested paths included", () => {
    expect(
      withIgnoredChanges({ a: 1, d: { x: 1 } }, { a: 1, b: { c: 2 }, d: { x: 1, y: 2 } }, ["b", "d.y"]),
    ).toEqual({ a: 1, b: { c: 2 }, d: { x: 1, y: 2 } });
  });

  test("drops an ignored property the import does not have", () => {
    expect(withIgnoredChanges({ a: 1, b: 2 }, { a: 1 }, ["b"])).toEqual({ a: 1 });
  });
});

describe("checkImport", () => {
  const program = {
    resourceGroupName: "rg-buildingbite-prod-network",
    publicIpAddressName: "pip-istio-ingress-prod",
    location: "koreacentral",
    tags: { environment: "prod", owner: "platform" },
    zones: ["1", "2", "3"],
    sku: { name: "Standard", tier: "Regional" },
    publicIPAllocationMethod: "Static",
    publicIPAddressVersion: "IPv4",
  };

  test("an IP registered without Azure's own values would be updated right after its import", () => {
    const check = checkImport({ urn: "u", type: PIP, id: IP_ID, body: publicIpBody, inputs: program, ignoreChanges: [] });
    expect(check.step).toBe("import, then update");
    expect(check.differences.map((d) => `${d.path} ${d.change}`)).toEqual([
      "ddosSettings delete",
      "dnsSettings delete",
      "idleTimeoutInMinutes delete",
      "ipAddress delete",
    ]);
  });

  test("the same IP imports alone once the program sends what it owns and ignores the rest", () => {
    const check = checkImport({
      urn: "u",
      type: PIP,
      id: IP_ID,
      body: publicIpBody,
      inputs: { ...program, idleTimeoutInMinutes: 4 },
      ignoreChanges: ["ipAddress", "ddosSettings", "dnsSettings"],
    });
    expect(check).toMatchObject({ step: "import", differences: [] });
  });
});
