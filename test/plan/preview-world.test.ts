// The simulated world of a preview: what `pulumi preview` does not know yet stays unknown, so the program's applies
// behave as they do in a real preview.
import { type Harness, mockRuntime } from "../harness";

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime({ preview: true });
});

test("a cluster the stack creates has an unknown principal in a preview, as azure-native reports it", async () => {
  const { AksCluster } = await import("../../components/cluster");
  const cluster = new AksCluster("dev", {
    resourceGroupName: "rg-dev",
    clusterName: "aks-dev",
    location: "koreacentral",
    kubernetesVersion: "1.30",
    nodeCount: 2,
    vmSize: "Standard_D4s_v5",
    zones: ["1", "2"],
    tier: "Free",
    upsertExistingObjects: false,
  });
  await h.settle();
  const principal = cluster.identityPrincipalId as unknown as { isKnown: Promise<boolean> };
  // Known without a principal, the cluster's own check would reject here instead.
  expect(await principal.isKnown).toBe(false);
});
