import {
  addonResourcesSet,
  grafanaNoAnonymousAdmin,
  kialiNotAnonymous,
  monitoringNoOpenPrometheus,
  tracingSamplingWithinMax,
} from "../../../policy/observability/addons";
import { type Case, type Fixture, istio, runCases } from "../fixtures";

const sized = { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

function addon(chart: string, values: Record<string, unknown>): Fixture {
  return {
    type: "kubernetes:helm.sh/v3:Release",
    name: `obs-${chart}`,
    props: {
      chart,
      name: chart,
      version: "1.0.0",
      namespace: "monitoring",
      repositoryOpts: { repo: "https://charts.example.com" },
      values,
    },
  };
}

const SERVICE: Record<string, string> = {
  "/prometheus": "prometheus-server",
  "/alertmanager": "prometheus-alertmanager",
  "/grafana": "grafana",
  "/kiali": "kiali",
  "/jaeger": "jaeger",
};
type UriMatch = { prefix: string } | { exact: string } | { regex: string } | undefined;

/** The monitoring VirtualService: one route per path, to the tool's Service (components/observability/routes.ts). */
const vs = (routes: [string, UriMatch][], hosts = ["monitoring.example.com"]) =>
  istio(
    "VirtualService",
    "monitoring",
    {
      hosts,
      gateways: ["istio-ingress/public-gateway"],
      http: routes.map(([tool, uri]) => ({
        name: tool.slice(1),
        ...(uri ? { match: [{ uri }] } : {}),
        route: [{ destination: { host: `${SERVICE[tool]}.monitoring.svc.cluster.local`, port: { number: 80 } } }],
      })),
    },
    { namespace: "monitoring" },
  );
const prefixes = (...paths: string[]): [string, UriMatch][] => paths.map((p) => [p, { prefix: p }]);

const GATEWAY_SELECTOR = { app: "istio-ingressgateway", istio: "ingressgateway" };
const gateway = istio(
  "Gateway",
  "public-gateway",
  { selector: GATEWAY_SELECTOR, servers: [{ hosts: ["*/*"], port: { number: 80, name: "http", protocol: "HTTP" } }] },
  { namespace: "istio-ingress" },
);
const requestAuthn = istio(
  "RequestAuthentication",
  "monitoring-jwt",
  { selector: { matchLabels: GATEWAY_SELECTOR }, jwtRules: [{ issuer: "https://idp.example.com" }] },
  { namespace: "istio-ingress" },
);
/** The DENY policy the program writes for "jwt" exposure, with these operation hosts and paths. */
const requireJwt = (paths: string[], hosts = ["monitoring.example.com", "monitoring.example.com:*"]) =>
  istio(
    "AuthorizationPolicy",
    "monitoring-require-jwt",
    {
      selector: { matchLabels: GATEWAY_SELECTOR },
      action: "DENY",
      rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { hosts, paths } }] }],
    },
    { namespace: "istio-ingress" },
  );

const cases: Case[] = [
  {
    title: "accepts Kiali with token login",
    policy: kialiNotAnonymous,
    fixtures: [addon("kiali-server", { auth: { strategy: "token" } })],
  },
  {
    title: "rejects anonymous Kiali",
    policy: kialiNotAnonymous,
    fixtures: [addon("kiali-server", { auth: { strategy: "anonymous" } })],
    rejects: /auth strategy "anonymous".*observability\.kiali\.auth/,
  },
  {
    title: "accepts Grafana with anonymous viewers",
    policy: grafanaNoAnonymousAdmin,
    fixtures: [addon("grafana", { "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Viewer" } } })],
  },
  {
    title: "rejects Grafana letting anonymous users in as Admin",
    policy: grafanaNoAnonymousAdmin,
    fixtures: [addon("grafana", { "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Admin" } } })],
    rejects: /anonymous users in as "Admin"/,
  },
  {
    title: "accepts an addon with requests and limits",
    policy: addonResourcesSet,
    fixtures: [addon("jaeger", { jaeger: { resources: sized } })],
  },
  {
    title: "rejects an addon without limits",
    policy: addonResourcesSet,
    fixtures: [addon("grafana", { resources: { requests: sized.requests } })],
    rejects: /no limits\.cpu, limits\.memory at values\.resources/,
  },
  {
    title: "accepts prod sampling at the maximum",
    policy: tracingSamplingWithinMax,
    fixtures: [
      istio("Telemetry", "mesh-default", { tracing: [{ randomSamplingPercentage: 5 }] }, { namespace: "istio-system" }),
    ],
    config: { maxSamplingPercentage: 5 },
  },
  {
    title: "rejects sampling above the stack's maximum",
    policy: tracingSamplingWithinMax,
    fixtures: [
      istio(
        "Telemetry",
        "mesh-default",
        { tracing: [{ randomSamplingPercentage: 100 }] },
        { namespace: "istio-system" },
      ),
    ],
    config: { maxSamplingPercentage: 5 },
    rejects: /samples 100% .* maximum of 5%/,
  },
  {
    title: 'accepts Kiali with the chart\'s default strategy (unset or "" is token on Kubernetes)',
    policy: kialiNotAnonymous,
    fixtures: [addon("kiali-server", { auth: { strategy: "" } }), addon("kiali-server", {})],
  },
  {
    title: "accepts a monitoring host without Prometheus",
    policy: monitoringNoOpenPrometheus,
    fixtures: [gateway, vs(prefixes("/kiali", "/grafana"))],
  },
  {
    title: "accepts Prometheus behind the RequestAuthentication and DENY policy the program writes",
    policy: monitoringNoOpenPrometheus,
    fixtures: [gateway, requestAuthn, requireJwt(["/prometheus*"]), vs(prefixes("/grafana", "/prometheus"))],
  },
  {
    title: "rejects Prometheus and Alertmanager routed without authentication",
    policy: monitoringNoOpenPrometheus,
    fixtures: [gateway, vs(prefixes("/prometheus", "/alertmanager"))],
    rejects:
      /http\[[01]\] routes to prometheus-(server|alertmanager)\.monitoring\.svc\.cluster\.local through Gateway istio-ingress\/public-gateway without authentication: no RequestAuthentication selects the gateway pods/,
    count: 2,
  },
  {
    title: "rejects Jaeger routed without authentication where production's levels protect it",
    policy: monitoringNoOpenPrometheus,
    config: { protectedServices: ["prometheus-server", "prometheus-alertmanager", "jaeger"] },
    fixtures: [gateway, vs(prefixes("/grafana", "/jaeger"))],
    rejects:
      /http\[1\] routes to jaeger\.monitoring\.svc\.cluster\.local .* without authentication.*jaeger\) to "none" or "jwt"/,
    count: 1,
  },
  {
    title: "accepts Jaeger behind the gateway's JWT check",
    policy: monitoringNoOpenPrometheus,
    config: { protectedServices: ["jaeger"] },
    fixtures: [gateway, requestAuthn, requireJwt(["/jaeger*"]), vs(prefixes("/grafana", "/jaeger"))],
  },
  {
    title: "does not trust the annotation the program used to write",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      {
        ...vs(prefixes("/prometheus")),
        props: {
          ...vs(prefixes("/prometheus")).props,
          metadata: {
            name: "monitoring",
            namespace: "monitoring",
            annotations: { "aks-mesh.io/jwt-required-paths": "/prometheus" },
          },
        },
      },
    ],
    rejects: /without authentication/,
    count: 1,
  },
  {
    title: 'rejects a DENY policy whose paths miss part of the prefix route ("/prometheusX" is routed too)',
    policy: monitoringNoOpenPrometheus,
    fixtures: [gateway, requestAuthn, requireJwt(["/prometheus", "/prometheus/*"]), vs(prefixes("/prometheus"))],
    rejects: /no DENY AuthorizationPolicy on the gateway pods in istio-ingress refuses requests without a JWT/,
    count: 1,
  },
  {
    title: "rejects a DENY policy that names the host without its port variants",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      requireJwt(["/prometheus*"], ["monitoring.example.com"]),
      vs(prefixes("/prometheus")),
    ],
    rejects: /with and without a port/,
    count: 1,
  },
  {
    title: "rejects a regex route unless the DENY policy covers every path",
    policy: monitoringNoOpenPrometheus,
    fixtures: [gateway, requestAuthn, requireJwt(["/prometheus*"]), vs([["/prometheus", { regex: "/prom.*" }]])],
    rejects: /refuses requests without a JWT/,
    count: 1,
  },
  {
    title: "accepts regex, exact and match-less routes when the DENY policy covers every path",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      requireJwt(["*"]),
      vs([
        ["/prometheus", { regex: "/prom.*" }],
        ["/alertmanager", { exact: "/alertmanager" }],
        ["/prometheus", undefined],
      ]),
    ],
  },
  {
    title: "accepts an exact route covered by an exact path",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      requireJwt(["/alertmanager"]),
      vs([["/alertmanager", { exact: "/alertmanager" }]]),
    ],
  },
  {
    title: "rejects a JWT check limited to one host when the route serves another",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      requireJwt(["/prometheus*"]),
      vs(prefixes("/prometheus"), ["monitoring.example.com", "metrics.example.com"]),
    ],
    rejects: /for every host \(monitoring\.example\.com, metrics\.example\.com/,
    count: 1,
  },
  {
    title: "accepts a JWT check with no host condition (any host)",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      istio(
        "AuthorizationPolicy",
        "require-jwt-everywhere",
        {
          selector: { matchLabels: GATEWAY_SELECTOR },
          action: "DENY",
          rules: [
            { from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { paths: ["/prometheus*"] } }] },
          ],
        },
        { namespace: "istio-system" },
      ),
      vs(prefixes("/prometheus"), ["*.example.com"]),
    ],
  },
  {
    title: "rejects a DENY policy narrowed to some methods",
    policy: monitoringNoOpenPrometheus,
    fixtures: [
      gateway,
      requestAuthn,
      istio(
        "AuthorizationPolicy",
        "require-jwt-get",
        {
          selector: { matchLabels: GATEWAY_SELECTOR },
          action: "DENY",
          rules: [
            {
              from: [{ source: { notRequestPrincipals: ["*"] } }],
              to: [{ operation: { methods: ["GET"], paths: ["/prometheus*"] } }],
            },
          ],
        },
        { namespace: "istio-ingress" },
      ),
      vs(prefixes("/prometheus")),
    ],
    rejects: /refuses requests without a JWT/,
    count: 1,
  },
];

describe("observability policies", () => runCases(cases));
