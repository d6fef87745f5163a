// Run by test/components/ingress/adopt-wrong-ip.e2e.test.ts (in its own process, since the failure surfaces as an
// unhandled rejection, which is how Pulumi fails a deployment on an error thrown in an apply): adopts an IP whose
// address is not the expected one, binds a gateway to it, and prints which resources reached the engine and which
// errors were reported.
import { mockRuntime } from "../harness";

async function main(): Promise<void> {
  const errors: string[] = [];
  process.on("unhandledRejection", (reason) => errors.push(reason instanceof Error ? reason.message : String(reason)));
  const h = await mockRuntime({ publicIpAddress: "20.249.144.238" });
  const { IngressGateway, StaticIp } = await import("../../components/ingress");
  const ip = new StaticIp("ip", {
    name: "pip-prod",
    resourceGroupName: "rg-net",
    grantNetworkContributor: false,
    location: "koreacentral",
    zones: [],
    tags: {},
    idleTimeoutInMinutes: 4,
    clusterPrincipalId: "principal",
    adoptResourceId:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/pip-prod",
    expectedAddress: "20.249.144.1",
  });
  new IngressGateway("gw", {
    namespace: "istio-ingress",
    createNamespace: false,
    name: "istio-ingressgateway",
    revision: "1-23-4",
    autoscaling: { minReplicas: 1, maxReplicas: 1, targetCPUUtilizationPercentage: 80 },
    resources: {},
    externalTrafficPolicy: "Local",
    loadBalancerSourceRanges: [],
    staticIp: { name: ip.name, resourceGroupName: ip.resourceGroupName },
    ipResources: ip.bindable,
    controlPlane: [],
  });
  await h.settle();
  await new Promise((r) => setTimeout(r, 50));
  process.stdout.write(JSON.stringify({ registered: h.resources().map((r) => r.type), errors }));
}

void main();
