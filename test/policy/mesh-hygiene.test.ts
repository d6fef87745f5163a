import {
  asmAuthzPolicyDefaultDeny,
  asmIngressgatewayLabel,
  asmRequestAuthnProhibitedOutputHeaders,
  destinationRuleTlsEnabled,
  enforceSidecarInjectionNamespace,
  meshHygienePolicies,
  preventDisablingInjectionPods,
  restrictVirtualServiceWildcard,
} from "../../policy/mesh-hygiene";
import {
  type Case,
  deployment,
  gatewayDeployment,
  helmRelease,
  istio,
  kube,
  namespace,
  runCases,
  runCoverage,
  runPreviewSafety,
  stackResource,
} from "./fixtures";

const namespacePatch = (name: string, labels: Record<string, string>) => ({
  ...kube("v1", "Namespace", name, {}, { labels, resourceName: `patch-${name}` }),
  type: "kubernetes:core/v1:NamespacePatch",
});

const cases: Case[] = [
  {
    title: "accepts created and patched namespaces enrolled with the revision label",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      namespacePatch("web", { "istio.io/rev": "1-23-4" }),
      namespace("legacy", { "istio-injection": "enabled" }),
    ],
  },
  {
    title: "rejects a namespace created without injection",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [namespace("shop")],
    rejects:
      /Namespace shop does not enable Istio sidecar injection: label it istio\.io\/rev=<revision> \(config aks-mesh:meshNamespaces\)/,
  },
  {
    title: "rejects a namespace that opts out with istio-injection=disabled",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [namespacePatch("web", { "istio-injection": "disabled" })],
    rejects: /\(istio-injection=disabled\)/,
  },
  {
    title: "leaves system and excluded namespaces alone",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [namespace("kube-system"), namespace("istio-ingress")],
    config: { excludedNamespaces: ["kube-system", "istio-ingress"] },
  },
  {
    title: "rejects a workload that turns its sidecar off",
    policy: preventDisablingInjectionPods,
    fixtures: [
      deployment("batch", "shop", { annotations: { "sidecar.istio.io/inject": "false" } }),
      deployment("cron", "shop", { labels: { app: "cron", "sidecar.istio.io/inject": "False" } }),
    ],
    rejects: /disables sidecar injection with the pod (annotation|label) sidecar\.istio\.io\/inject="(false|False)"/,
    count: 2,
  },
  {
    title: "accepts workloads that keep or force injection, and excluded namespaces",
    policy: preventDisablingInjectionPods,
    fixtures: [
      gatewayDeployment(),
      deployment("probe", "kube-system", { annotations: { "sidecar.istio.io/inject": "false" } }),
    ],
  },
  {
    title: "accepts the ingress gateway wearing istio=ingressgateway",
    policy: asmIngressgatewayLabel,
    fixtures: [gatewayDeployment()],
  },
  {
    title: "rejects an application pod that wears the ingress gateway label",
    policy: asmIngressgatewayLabel,
    fixtures: [deployment("web", "shop", { labels: { app: "web", istio: "ingressgateway" } })],
    rejects: /Deployment shop\/web labels its pods istio=ingressgateway but is not an ingress gateway/,
  },
  {
    title: "reports a mesh without a default-deny AuthorizationPolicy",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      helmRelease("istiod"),
      istio("AuthorizationPolicy", "web", { selector: { matchLabels: { app: "web" } } }, { namespace: "shop" }),
    ],
    rejects: /The mesh has no default-deny AuthorizationPolicy: add one in istio-system with an empty spec/,
    count: 1,
  },
  {
    title: "accepts the mesh-wide allow-nothing policy in the root namespace",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      helmRelease("istiod"),
      istio("AuthorizationPolicy", "allow-nothing", {}, { namespace: "istio-system" }),
    ],
  },
  {
    title: "rejects wildcard VirtualService hosts",
    policy: restrictVirtualServiceWildcard,
    fixtures: [
      istio("VirtualService", "all", {
        hosts: ["*.example.com"],
        http: [{ route: [{ destination: { host: "web" } }] }],
      }),
    ],
    rejects: /wildcard host "\*\.example\.com"/,
  },
  {
    title: "accepts exact VirtualService hosts",
    policy: restrictVirtualServiceWildcard,
    fixtures: [
      istio("VirtualService", "app", {
        hosts: ["app.example.com"],
        http: [{ route: [{ destination: { host: "web" } }] }],
      }),
    ],
  },
  {
    title: "rejects TLS DISABLE at any level of a DestinationRule",
    policy: destinationRuleTlsEnabled,
    fixtures: [
      istio("DestinationRule", "legacy", {
        host: "legacy",
        trafficPolicy: { tls: { mode: "DISABLE" } },
        subsets: [
          { name: "v1", trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" } }] } },
        ],
      }),
    ],
    rejects: /sets spec\.(trafficPolicy|subsets\[0\]\.trafficPolicy\.portLevelSettings\[0\])\.tls\.mode DISABLE/,
    count: 2,
  },
  {
    title: "accepts ISTIO_MUTUAL and SIMPLE DestinationRules",
    policy: destinationRuleTlsEnabled,
    fixtures: [istio("DestinationRule", "web", { host: "web", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } })],
  },
  {
    title: "rejects a JWT copied into the Authorization or a configured header",
    policy: asmRequestAuthnProhibitedOutputHeaders,
    fixtures: [
      istio(
        "RequestAuthentication",
        "keycloak",
        {
          jwtRules: [
            {
              issuer: "https://id.example.com",
              outputPayloadToHeader: "Authorization",
              outputClaimToHeaders: [{ header: "x-user", claim: "sub" }],
            },
          ],
        },
        { namespace: "api" },
      ),
    ],
    config: { prohibitedHeaders: ["X-User"] },
    rejects: /writes the JWT to header "(Authorization|x-user)"/,
    count: 2,
  },
  {
    title: "accepts an application-specific output header",
    policy: asmRequestAuthnProhibitedOutputHeaders,
    fixtures: [
      istio(
        "RequestAuthentication",
        "keycloak",
        { jwtRules: [{ issuer: "https://id.example.com", outputPayloadToHeader: "x-jwt-payload" }] },
        { namespace: "api" },
      ),
    ],
  },
];

describe("mesh hygiene policies (Kyverno, GKE Policy Controller ports)", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(meshHygienePolicies, cases);
});
