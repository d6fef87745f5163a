import { istioApiPolicies } from "../../../policy/istio-api";
import { istioApiVersionV1, istioNoDeprecatedFields } from "../../../policy/istio-api/versions";
import { type Case, istio, kube, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const vs = { hosts: ["app.example.com"], http: [{ route: [{ destination: { host: "web.shop.svc.cluster.local" } }] }] };

const cases: Case[] = [
  {
    title: "accepts a VirtualService at networking.istio.io/v1",
    policy: istioApiVersionV1,
    fixtures: [istio("VirtualService", "web", vs)],
  },
  {
    title: "rejects a VirtualService still at v1beta1",
    policy: istioApiVersionV1,
    fixtures: [istio("VirtualService", "web", vs, { version: "v1beta1" })],
    rejects: /uses networking\.istio\.io\/v1beta1.*change apiVersion to networking\.istio\.io\/v1/,
    // apiVersion is set by the program, never computed: known in preview.
    preview: { allUnknown: 1, unknownLeaves: 1 },
  },
  {
    title: "rejects a PeerAuthentication at security.istio.io/v1beta1",
    policy: istioApiVersionV1,
    fixtures: [istio("PeerAuthentication", "default", { mtls: { mode: "PERMISSIVE" } }, { version: "v1beta1" })],
    rejects: /security\.istio\.io\/v1/,
    preview: { allUnknown: 1, unknownLeaves: 1 },
  },
  {
    title: "accepts an EnvoyFilter at v1alpha3, the only version Istio serves for it",
    policy: istioApiVersionV1,
    fixtures: [istio("EnvoyFilter", "tweak", { configPatches: [] })],
  },
  {
    title: "accepts a DestinationRule with consecutive5xxErrors",
    policy: istioNoDeprecatedFields,
    fixtures: [
      istio("DestinationRule", "web", {
        host: "web",
        trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } },
      }),
    ],
  },
  {
    title: "rejects outlierDetection.consecutiveErrors, in a subset's port settings too",
    policy: istioNoDeprecatedFields,
    fixtures: [
      istio("DestinationRule", "web", {
        host: "web",
        trafficPolicy: { outlierDetection: { consecutiveErrors: 5 } },
        subsets: [
          {
            name: "v1",
            trafficPolicy: {
              portLevelSettings: [{ port: { number: 80 }, outlierDetection: { consecutiveErrors: 3 } }],
            },
          },
        ],
      }),
    ],
    rejects: /consecutiveErrors: use consecutiveGatewayErrors or consecutive5xxErrors/,
    count: 2,
    // A field that is set is deprecated whatever its (unknown) value.
    preview: { unknownLeaves: 2 },
  },
  {
    title: "rejects mirrorPercent and fault.delay.percent",
    policy: istioNoDeprecatedFields,
    fixtures: [
      istio("VirtualService", "web", {
        hosts: ["web"],
        http: [
          {
            mirror: { host: "shadow" },
            mirrorPercent: 10,
            fault: { delay: { percent: 5, fixedDelay: "1s" } },
            route: [{ destination: { host: "web" } }],
          },
        ],
      }),
    ],
    rejects:
      /Deprecated: VirtualService \S+ sets spec\.http\[0\]\.(mirrorPercent: use mirrorPercentage|fault\.delay\.percent: use fault\.delay\.percentage)/,
    count: 2,
    preview: { unknownLeaves: 2 },
  },
  {
    title: "rejects the removed rbac.istio.io types",
    policy: istioNoDeprecatedFields,
    fixtures: [kube("rbac.istio.io/v1alpha1", "ServiceRole", "reader", { spec: {} })],
    rejects: /is of a removed type: custom resource type rbac\.istio\.io ServiceRole is removed/,
    preview: { allUnknown: 1, unknownLeaves: 1 },
  },
];

describe("istio API policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(istioApiPolicies, cases);
});
