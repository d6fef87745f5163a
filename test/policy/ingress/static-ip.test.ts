import { ingressIpProtectedStaticStandard } from "../../../policy/ingress/static-ip";
import { type Case, type Fixture, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const ip = (props: Record<string, unknown>, protect = true): Fixture => ({
  type: "azure-native:network:PublicIPAddress",
  name: "ingress-ip-pip",
  protect,
  props: {
    publicIpAddressName: "pip-istio-ingress-prod",
    resourceGroupName: "rg",
    sku: { name: "Standard", tier: "Regional" },
    publicIPAllocationMethod: "Static",
    ...props,
  },
});

const cases: Case[] = [
  {
    title: "accepts a protected Standard static IP",
    policy: ingressIpProtectedStaticStandard,
    fixtures: [ip({})],
  },
  {
    title: "keeps the static IP protected",
    policy: ingressIpProtectedStaticStandard,
    fixtures: [ip({}, false)],
    rejects: /is not protected: declare it with \{ protect: true \}/,
    count: 1,
  },
  {
    title: "rejects a dynamic IP that would change address",
    policy: ingressIpProtectedStaticStandard,
    fixtures: [ip({ publicIPAllocationMethod: "Dynamic" })],
    rejects: /allocation method Dynamic/,
  },
  {
    title: "rejects a Basic SKU IP the Standard load balancer cannot use",
    policy: ingressIpProtectedStaticStandard,
    fixtures: [ip({ sku: { name: "Basic" } })],
    rejects: /SKU Basic: set sku\.name "Standard"/,
  },
];

describe("ingress policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([ingressIpProtectedStaticStandard], cases);
});
