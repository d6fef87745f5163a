import { asmIngressgatewayLabel } from "../../policy/ingress/gateway-label";
import { enforceSidecarInjectionNamespace, preventDisablingInjectionPods } from "../../policy/mesh/sidecar-injection";
import { asmAuthzPolicyDefaultDeny } from "../../policy/security/authorization-policy";
import { destinationRuleTlsEnabled } from "../../policy/security/destination-rule-tls";
import { asmRequestAuthnProhibitedOutputHeaders } from "../../policy/security/request-authentication";
import { restrictVirtualServiceWildcard } from "../../policy/traffic/virtual-services";
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

/** istiod as the program installs it: one revision, no tags (components/istio/control-plane.ts). */
const istiod = (values: Record<string, unknown> = { revision: "1-23-4" }) => helmRelease("istiod", { values });
/** A Helm release of an observability chart with these values. */
const addon = (chart: string, values: Record<string, unknown>, namespace = "monitoring") => ({
  type: "kubernetes:helm.sh/v3:Release",
  name: chart,
  props: { chart, name: chart, namespace, version: "1.0.0", values },
});
const rootDeny = (name: string, selector?: Record<string, string>) =>
  istio("AuthorizationPolicy", name, selector ? { selector: { matchLabels: selector } } : {}, {
    namespace: "istio-system",
  });

const cases: Case[] = [
  {
    title: "accepts created and patched namespaces enrolled with the installed revision",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [
      istiod(),
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      namespacePatch("web", { "istio.io/rev": "1-23-4" }),
    ],
  },
  {
    title: "rejects istio-injection=enabled when the stack installs only a revision (no default tag)",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("legacy", { "istio-injection": "enabled" })],
    rejects:
      /Namespace legacy would get no sidecars: istio-injection=enabled injects only with the default revision or a "default" revision tag, and the stack installs \("1-23-4"\)/,
    count: 1,
  },
  {
    title: "accepts istio-injection=enabled once istiod has revisionTags [default]",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [
      istiod({ revision: "1-23-4", revisionTags: ["default"] }),
      namespace("legacy", { "istio-injection": "enabled" }),
    ],
  },
  {
    title: "does not count the base chart's defaultRevision as an injector (it renders only the validator)",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [
      istiod(),
      helmRelease("base", { values: { defaultRevision: "1-23-4" } }),
      namespace("legacy", { "istio-injection": "enabled" }),
    ],
    rejects: /Namespace legacy would get no sidecars/,
    count: 1,
  },
  {
    title: "rejects a revision label naming no installed revision or tag",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("shop", { "istio.io/rev": "1-22-0" })],
    rejects: /istio\.io\/rev=1-22-0 names no revision or tag the stack installs \("1-23-4"\)/,
  },
  {
    title: "rejects a namespace whose legacy label overrides its revision label",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("shop", { "istio.io/rev": "1-23-4", "istio-injection": "enabled" })],
    rejects: /and it overrides istio\.io\/rev=1-23-4/,
  },
  {
    title: "accepts a revision tag the istiod release installs",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod({ revision: "1-23-4", revisionTags: ["prod"] }), namespace("shop", { "istio.io/rev": "prod" })],
  },
  {
    title: "rejects a namespace created without injection",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("shop")],
    rejects:
      /Namespace shop would get no sidecars: it has neither istio\.io\/rev nor istio-injection\. Label it istio\.io\/rev=1-23-4 \(config aks-mesh:meshNamespaces\)/,
  },
  {
    title: "accepts a namespace declared outside the mesh with istio-injection=disabled",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespacePatch("legacy-batch", { "istio-injection": "disabled" })],
  },
  {
    title: "leaves system, excluded and gateway namespaces alone (gateway namespace derived from the gateway workload)",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("kube-system"), namespace("edge"), gatewayDeployment("edge"), namespace("batch")],
    config: { excludedNamespaces: ["kube-system", "batch"] },
  },
  {
    title: "checks a namespace named like the old hard-coded gateway namespace when no gateway runs there",
    policy: enforceSidecarInjectionNamespace,
    fixtures: [istiod(), namespace("istio-ingress"), gatewayDeployment("edge")],
    rejects: /Namespace istio-ingress would get no sidecars/,
    count: 1,
  },
  {
    title: "rejects a workload that turns its sidecar off",
    policy: preventDisablingInjectionPods,
    fixtures: [
      deployment("batch", "shop", { annotations: { "sidecar.istio.io/inject": "false" } }),
      deployment("cron", "shop", { labels: { app: "cron", "sidecar.istio.io/inject": "False" } }),
      deployment("job", "shop", { labels: { app: "job", "sidecar.istio.io/inject": "no" } }),
    ],
    rejects: /disables sidecar injection with the pod (annotation|label) sidecar\.istio\.io\/inject="(false|False|no)"/,
    count: 3,
  },
  {
    title: "accepts workloads that keep or force injection, and excluded namespaces",
    policy: preventDisablingInjectionPods,
    fixtures: [
      gatewayDeployment(),
      deployment("on", "shop", { labels: { app: "on", "sidecar.istio.io/inject": "yes" } }),
      deployment("probe", "kube-system", { annotations: { "sidecar.istio.io/inject": "false" } }),
    ],
  },
  {
    title: "rejects a Helm release that opts its pods out through values",
    policy: preventDisablingInjectionPods,
    fixtures: [addon("redis", { master: { podLabels: { "sidecar.istio.io/inject": "false" } } }, "shop")],
    rejects: /Helm release redis \(chart redis\) turns sidecar injection off at values\.master\.podLabels/,
    count: 1,
  },
  {
    title: "accepts the observability charts' opt-outs, exempt by default with their reasons",
    policy: preventDisablingInjectionPods,
    fixtures: [
      addon("prometheus", {
        server: { podLabels: { "sidecar.istio.io/inject": "false" } },
        alertmanager: { podLabels: { "sidecar.istio.io/inject": "false" } },
        "kube-state-metrics": { podLabels: { "sidecar.istio.io/inject": "false" } },
        "prometheus-node-exporter": { podLabels: { "sidecar.istio.io/inject": "false" } },
      }),
      addon("jaeger", { jaeger: { podLabels: { "sidecar.istio.io/inject": "false" } } }),
      addon("loki", { defaults: { podLabels: { "sidecar.istio.io/inject": "false" } } }),
      addon("alloy", { controller: { podLabels: { "sidecar.istio.io/inject": "false" } } }),
    ],
  },
  {
    title: "rejects an observability opt-out once the stack's exemptions no longer list it",
    policy: preventDisablingInjectionPods,
    fixtures: [addon("jaeger", { jaeger: { podLabels: { "sidecar.istio.io/inject": "false" } } })],
    config: {
      exemptions: [{ chart: "prometheus", path: "server.podLabels", reason: "scrapes plain-text metrics ports" }],
    },
    rejects: /chart jaeger\) turns sidecar injection off at values\.jaeger\.podLabels/,
  },
  {
    title: "accepts a workload listed in exemptions with its reason",
    policy: preventDisablingInjectionPods,
    fixtures: [deployment("batch", "shop", { annotations: { "sidecar.istio.io/inject": "false" } })],
    config: { exemptions: [{ kind: "Deployment", name: "batch", reason: "one-shot job that talks only to Azure" }] },
  },
  {
    title: "does not exempt a workload listed without a reason",
    policy: preventDisablingInjectionPods,
    fixtures: [deployment("batch", "shop", { annotations: { "sidecar.istio.io/inject": "false" } })],
    config: { exemptions: [{ kind: "Deployment", name: "batch", reason: "" }] },
    rejects: /Deployment shop\/batch disables sidecar injection/,
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
      istiod(),
      istio("AuthorizationPolicy", "web", { selector: { matchLabels: { app: "web" } } }, { namespace: "shop" }),
    ],
    rejects:
      /The mesh has no default-deny AuthorizationPolicy for every workload: add one in istio-system with an empty spec/,
    count: 1,
  },
  {
    title: "accepts the mesh-wide allow-nothing policy in the root namespace",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [stackResource, istiod(), rootDeny("allow-nothing")],
  },
  {
    title: "counts a root-namespace default-deny with a selector for matching workloads of every namespace",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      istiod(),
      namespace("istio-ingress"),
      deployment("api", "istio-ingress", { labels: { app: "api", "istio.io/rev": "1-23-4" } }),
      rootDeny("api-deny", { app: "api" }),
    ],
  },
  {
    title: "reports an injected workload no default-deny covers, even next to a root-namespace one for others",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      istiod(),
      namespace("istio-ingress"),
      deployment("web", "istio-ingress", { labels: { app: "web", "istio.io/rev": "1-23-4" } }),
      deployment("api", "istio-ingress", { labels: { app: "api", "istio.io/rev": "1-23-4" } }),
      rootDeny("web-deny", { app: "web" }),
    ],
    rejects: /not covered: Deployment istio-ingress\/api\)/,
    count: 1,
  },
  {
    title: "leaves the ingress gateway out: its default-deny would need an allow-all, which the pack refuses",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      istiod(),
      namespace("istio-ingress"),
      gatewayDeployment(),
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      istio("AuthorizationPolicy", "allow-nothing", {}, { namespace: "shop" }),
    ],
  },
  {
    title: "accepts an enrolled namespace with its own default-deny",
    policy: asmAuthzPolicyDefaultDeny,
    fixtures: [
      stackResource,
      istiod(),
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      istio("AuthorizationPolicy", "allow-nothing", {}, { namespace: "shop" }),
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
  runCoverage(
    [
      enforceSidecarInjectionNamespace,
      preventDisablingInjectionPods,
      asmIngressgatewayLabel,
      asmAuthzPolicyDefaultDeny,
      restrictVirtualServiceWildcard,
      destinationRuleTlsEnabled,
      asmRequestAuthnProhibitedOutputHeaders,
    ],
    cases,
  );
});
