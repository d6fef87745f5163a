// The annotation analyzers of istioctl 1.23.4 (analyzers/annotations/annotations.go, analyzers/maturity/maturity.go).
import {
  isIstioAnnotation,
  ist0107MisplacedAnnotation,
  ist0108UnknownAnnotation,
  ist0125InvalidAnnotation,
  ist0135DeprecatedAnnotation,
  ist0136AlphaAnnotation,
} from "../../../policy/mesh/annotations";
import { type Case, deployment, type Fixture, kube, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const pod = (
  annotations: Record<string, string>,
  o: { namespace?: string; initContainers?: unknown[] } = {},
): Fixture =>
  kube(
    "v1",
    "Pod",
    "web",
    {
      spec: {
        containers: [{ name: "app", image: "example/app:1" }],
        ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      },
    },
    { namespace: o.namespace ?? "shop", annotations },
  );
const service = (annotations: Record<string, string>, labels?: Record<string, string>): Fixture =>
  kube(
    "v1",
    "Service",
    "web",
    { spec: { ports: [{ name: "http", port: 80 }] } },
    { namespace: "shop", annotations, labels },
  );
const namespaceWith = (name: string, annotations: Record<string, string>): Fixture =>
  kube("v1", "Namespace", name, {}, { annotations });
/** A Deployment whose own metadata (not its template) carries these annotations. */
const deploymentWith = (annotations: Record<string, string>, labels?: Record<string, string>): Fixture => {
  const d = deployment("web", "shop", {});
  const metadata = d.props.metadata as Record<string, unknown>;
  return { ...d, props: { ...d.props, metadata: { ...metadata, annotations, ...(labels ? { labels } : {}) } } };
};

const cases: Case[] = [
  // IST0108
  {
    title: "rejects an istio.io annotation Istio does not know (a typo)",
    policy: ist0108UnknownAnnotation,
    fixtures: [pod({ "sidecar.istio.io/proxyCpu": "100m" }), namespaceWith("shop", { "foo.istio.io/bar": "x" })],
    rejects:
      /^Unknown annotation: (sidecar\.istio\.io\/proxyCpu \(Pod shop\/web\)|foo\.istio\.io\/bar \(Namespace shop\))\.$/,
    count: 2,
  },
  {
    title: "accepts known annotations, other domains, the ones Istio sets itself, and kube-system objects",
    policy: ist0108UnknownAnnotation,
    fixtures: [
      pod({ "sidecar.istio.io/proxyCPU": "100m", "example.com/owner": "shop", "istio.io/waypoint-for": "service" }),
      pod({ "sidecar.istio.io/unknown": "x" }, { namespace: "kube-system" }),
      namespaceWith("kube-public", { "foo.istio.io/bar": "x" }),
      deploymentWith({ "ambient.istio.io/redirection": "enabled" }),
    ],
  },
  // IST0107
  {
    title: "rejects a pod annotation on a Deployment's own metadata and on a Service",
    policy: ist0107MisplacedAnnotation,
    fixtures: [
      deploymentWith({ "proxy.istio.io/config": "{}" }),
      service({ "sidecar.istio.io/inject": "false", "kubernetes.io/ingress.class": "istio" }),
    ],
    rejects:
      /^Misplaced annotation: (proxy\.istio\.io\/config can only be applied to Pod \(Deployment shop\/web\)|sidecar\.istio\.io\/inject can only be applied to Pod \(Service shop\/web\)|kubernetes\.io\/ingress\.class can only be applied to Ingress \(Service shop\/web\))\.$/,
    count: 3,
  },
  {
    title: "accepts annotations on their kind, Any annotations anywhere, and the Deployment's pod template",
    policy: ist0107MisplacedAnnotation,
    fixtures: [
      deployment("web", "shop", {
        annotations: { "proxy.istio.io/config": "{}", "inject.istio.io/templates": "gateway" },
      }),
      deploymentWith({ "galley.istio.io/analyze-suppress": "IST0103", "istio.io/rev": "1-23" }),
      service({ "networking.istio.io/exportTo": "." }),
      namespaceWith("shop", { "topology.istio.io/controlPlaneClusters": "*" }),
    ],
  },
  // IST0125
  {
    title: "rejects sidecar annotation values the injector refuses",
    policy: ist0125InvalidAnnotation,
    fixtures: [
      pod({
        "sidecar.istio.io/interceptionMode": "redirect",
        "traffic.sidecar.istio.io/excludeOutboundPorts": "15020,80,",
        "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8, 192.168.0.0/16",
        "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/08",
        "status.sidecar.istio.io/port": "70000",
        "readiness.status.sidecar.istio.io/periodSeconds": "-1",
        "sidecar.istio.io/enableCoreDump": "yes",
      }),
    ],
    rejects: /^Invalid annotation [a-z.]+\/[A-Za-z]+: .+ \(Pod shop\/web\)\.$/,
    count: 7,
  },
  {
    title: "accepts valid values, wildcards, empty lists, and values on a misplaced annotation (IST0107's)",
    policy: ist0125InvalidAnnotation,
    fixtures: [
      pod({
        "sidecar.istio.io/interceptionMode": "TPROXY",
        "traffic.sidecar.istio.io/excludeOutboundPorts": " 15020, 80 ",
        "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8,fd00::/8",
        "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
        "traffic.sidecar.istio.io/includeInboundPorts": "*",
        "traffic.sidecar.istio.io/excludeInboundPorts": "",
        "status.sidecar.istio.io/port": "15020",
        "readiness.status.sidecar.istio.io/periodSeconds": "10",
        "sidecar.istio.io/enableCoreDump": "True",
        "prometheus.istio.io/merge-metrics": "0",
      }),
      deploymentWith({ "sidecar.istio.io/interceptionMode": "bogus" }),
    ],
  },
  // IST0135
  {
    title: "rejects deprecated annotations, and sidecar.istio.io/inject without the label of that name",
    policy: ist0135DeprecatedAnnotation,
    fixtures: [pod({ "sidecar.istio.io/inject": "false", "sidecar.istio.io/statsInclusionPrefixes": "cluster" })],
    rejects:
      /^Annotation "(sidecar\.istio\.io\/inject" has been deprecated in favor of the "sidecar\.istio\.io\/inject" label|sidecar\.istio\.io\/statsInclusionPrefixes" has been deprecated) and may not work in future Istio versions \(Pod shop\/web\)\.$/,
    count: 2,
  },
  {
    title: "accepts sidecar.istio.io/inject next to the label, and current annotations",
    policy: ist0135DeprecatedAnnotation,
    fixtures: [
      kube(
        "v1",
        "Pod",
        "web",
        { spec: { containers: [{ name: "app", image: "example/app:1" }] } },
        {
          namespace: "shop",
          labels: { "sidecar.istio.io/inject": "false" },
          annotations: { "sidecar.istio.io/inject": "false", "proxy.istio.io/config": "{}" },
        },
      ),
    ],
  },
  // IST0136
  {
    title: "rejects alpha annotations, and istiod's own ones on a pod with istio-init",
    policy: ist0136AlphaAnnotation,
    fixtures: [
      service({ "networking.istio.io/exportTo": "." }),
      pod(
        { "traffic.sidecar.istio.io/includeInboundPorts": "*" },
        { initContainers: [{ name: "istio-init", image: "proxyv2" }] },
      ),
    ],
    rejects:
      /^Annotation "(networking\.istio\.io\/exportTo|traffic\.sidecar\.istio\.io\/includeInboundPorts)" is part of an alpha-phase feature and may be incompletely supported \((Service|Pod) shop\/web\)\.$/,
    count: 2,
  },
  {
    title: "accepts beta and stable annotations, istio.io/rev, and istiod's own ones on a CNI pod",
    policy: ist0136AlphaAnnotation,
    fixtures: [
      pod({
        "proxy.istio.io/config": "{}",
        "istio.io/rev": "1-23",
        "sidecar.istio.io/status": "{}",
        "traffic.sidecar.istio.io/includeInboundPorts": "*",
      }),
      service({ "traffic.istio.io/nodeSelector": "{}" }),
    ],
  },
];

describe("istioctl annotation analyzers", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(
    [
      ist0107MisplacedAnnotation,
      ist0108UnknownAnnotation,
      ist0125InvalidAnnotation,
      ist0135DeprecatedAnnotation,
      ist0136AlphaAnnotation,
    ],
    cases,
  );

  it.each([
    ["sidecar.istio.io/inject", true],
    ["kubernetes.io/ingress.class", true],
    ["fooistio.io/x", true],
    ["istio.io", true],
    ["example.com/istio.io", false],
    ["kubernetes.io/ingress", false],
  ] as const)("reads %s as an Istio annotation: %s (annotations.go istioAnnotation)", (key, expected) => {
    expect(isIstioAnnotation(key)).toBe(expected);
  });
});
