import { virtualServiceRouteWeightsSumTo100 } from "../../policy/delivery/route-weights";
import { ist0116DeploymentServicePorts, ist0144InvalidApplicationUid } from "../../policy/mesh/deployments";
import { ist0128NoServerCertificateVerification } from "../../policy/mesh/destination-rules";
import { ist0151EnvoyFilterPatchOperations } from "../../policy/mesh/envoy-filters";
import {
  ist0138GatewayDuplicateCertificate,
  ist0145ConflictingGateways,
  ist0162GatewayPortNotDefinedOnService,
  ist0166IneffectiveSelector,
} from "../../policy/mesh/gateways";
import {
  ist0102NamespaceNotInjected,
  ist0123NamespaceMultipleInjectionLabels,
  ist0146ImageAutoWithoutInjection,
} from "../../policy/mesh/injection";
import { ist0134ServiceEntryAddressesRequired } from "../../policy/mesh/service-entries";
import { ist0118PortNameIsNotUnderNamingConvention, portProtocolUnsupported } from "../../policy/mesh/services";
import { ist0110ConflictingSidecars, ist0167IneffectivePolicy } from "../../policy/mesh/sidecars";
import { ist0157InvalidTelemetryProvider, ist0159ConflictingTelemetries } from "../../policy/mesh/telemetry";
import {
  ist0101ReferencedResourceNotFound,
  ist0112VirtualServiceDestinationPortSelectorRequired,
  ist0132VirtualServiceHostNotFoundInGateway,
  ist0140IngressRouteRulesNotAffected,
  ist0165ReferencedInternalGateway,
} from "../../policy/mesh/virtual-service-references";
import {
  ist0109ConflictingMeshGatewayVirtualServiceHosts,
  ist0130VirtualServiceUnreachableRule,
  ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
} from "../../policy/mesh/virtual-service-rules";
import {
  retryPerTryTimeoutWithinRouteTimeout,
  virtualServiceGatewayHostUnique,
} from "../../policy/traffic/virtual-services";
import {
  type Case,
  deployment,
  type Fixture,
  gatewayDeployment,
  helmRelease,
  istio,
  kube,
  namespace,
  runCases,
  runCoverage,
  runPreviewSafety,
} from "./fixtures";

const SELECTOR = { app: "istio-ingressgateway", istio: "ingressgateway" };

/** The public Gateway as components/ingress builds it. */
const publicGateway = (
  hosts = ["istio-ingress/app.example.com"],
  name = "public-gateway",
  selector: Record<string, string> = SELECTOR,
): Fixture =>
  istio(
    "Gateway",
    name,
    { selector, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts }] },
    { namespace: "istio-ingress", resourceName: `gw-${name}` },
  );

const route = (host: string, extra: Record<string, unknown> = {}) => ({ route: [{ destination: { host } }], ...extra });

const vs = (name: string, spec: Record<string, unknown>, namespace = "istio-ingress"): Fixture =>
  istio("VirtualService", name, spec, { namespace, resourceName: `vs-${namespace}-${name}` });

const appVs = (name = "app", hosts = ["app.example.com"], gateways = ["istio-ingress/public-gateway"]) =>
  vs(name, { hosts, gateways, http: [route("web.shop.svc.cluster.local")] });

const service = (name: string, ns: string, ports: unknown[], labels?: Record<string, string>) =>
  kube(
    "v1",
    "Service",
    name,
    { spec: { selector: { app: name }, ports } },
    { namespace: ns, ...(labels ? { labels } : {}) },
  );

const cases: Case[] = [
  // IST0101
  {
    title: "accepts the public Gateway, its gateway workload and a VirtualService bound to it",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [gatewayDeployment(), publicGateway(), appVs()],
  },
  {
    title: "rejects a VirtualService bound to a Gateway the stack does not declare",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      gatewayDeployment(),
      publicGateway(),
      appVs("app", ["app.example.com"], ["istio-ingress/privat-gateway"]),
    ],
    rejects: /Referenced gateway not found: "istio-ingress\/privat-gateway"/,
    count: 1,
  },
  {
    title: "resolves a short gateway name in the VirtualService's namespace",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      gatewayDeployment(),
      publicGateway(),
      vs("app", { hosts: ["app.example.com"], gateways: ["public-gateway"], http: [route("web")] }, "shop"),
    ],
    rejects: /Referenced gateway not found: "public-gateway"/,
  },
  {
    title: "rejects a route to a subset no DestinationRule defines",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      istio(
        "DestinationRule",
        "web",
        { host: "web.shop.svc.cluster.local", subsets: [{ name: "v1", labels: { version: "v1" } }] },
        { namespace: "shop" },
      ),
      vs("web", { hosts: ["web"], http: [{ route: [{ destination: { host: "web", subset: "v2" } }] }] }, "shop"),
    ],
    rejects: /Referenced host\+subset in destinationrule not found: "web\+v2"/,
  },
  {
    title: "accepts canary subsets defined by the DestinationRule (short and full host names)",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      istio(
        "DestinationRule",
        "web",
        { host: "web", subsets: [{ name: "stable" }, { name: "canary" }] },
        { namespace: "shop" },
      ),
      vs(
        "web",
        {
          hosts: ["web"],
          http: [
            {
              route: [
                { destination: { host: "web.shop.svc.cluster.local", subset: "stable" }, weight: 90 },
                { destination: { host: "web", subset: "canary" }, weight: 10 },
              ],
            },
          ],
        },
        "shop",
      ),
    ],
  },
  {
    title: "rejects a mirror to an undefined subset",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      vs("web", { hosts: ["web"], http: [route("web", { mirror: { host: "web", subset: "shadow" } })] }, "shop"),
    ],
    rejects: /Referenced mirror\+subset in destinationrule not found: "web\+shadow"/,
  },
  {
    title: "skips a Gateway whose workload lives outside the stack (a hand-installed gateway)",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [gatewayDeployment(), publicGateway(["*/app.example.com"], "internal", { istio: "internalgateway" })],
  },
  {
    title: "accepts a Gateway selecting the pods of an Istio gateway chart release",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      helmRelease("gateway", { name: "istio-egressgateway", namespace: "istio-egress" }),
      publicGateway(["*/*"], "egress", { istio: "egressgateway" }),
    ],
  },
  {
    title: "rejects a route to a port the in-stack Service does not expose",
    policy: ist0101ReferencedResourceNotFound,
    fixtures: [
      service("web", "shop", [{ name: "http", port: 80 }]),
      vs(
        "web",
        { hosts: ["web"], http: [{ route: [{ destination: { host: "web", port: { number: 8080 } } }] }] },
        "shop",
      ),
    ],
    rejects: /Referenced host:port not found: "web:8080".*Service shop\/web exposes 80/,
  },
  // IST0102
  {
    title: "accepts a namespace enrolled with the revision label",
    policy: ist0102NamespaceNotInjected,
    fixtures: [namespace("shop", { "istio.io/rev": "1-23-4" }), namespace("legacy", { "istio-injection": "disabled" })],
  },
  {
    title: "reports a namespace that says nothing about injection",
    policy: ist0102NamespaceNotInjected,
    fixtures: [namespace("shop")],
    rejects: /The namespace is not enabled for Istio injection\. Label namespace shop/,
  },
  {
    title: "reports an empty istio-injection label as analyze does",
    policy: ist0102NamespaceNotInjected,
    fixtures: [namespace("shop", { "istio-injection": "" })],
    rejects: /Label namespace shop/,
    count: 1,
  },
  {
    title: "leaves istio-system, ambient, excluded and gateway namespaces alone (gateway namespace from its workload)",
    policy: ist0102NamespaceNotInjected,
    fixtures: [
      namespace("edge"),
      gatewayDeployment("edge"),
      namespace("istio-system"),
      namespace("mesh-ambient", { "istio.io/dataplane-mode": "ambient" }),
      namespace("batch"),
    ],
    config: { excludedNamespaces: ["batch"] },
  },
  {
    title: "reports nothing when istiod injects namespaces by default (analyze's IST0148 instead)",
    policy: ist0102NamespaceNotInjected,
    fixtures: [
      helmRelease("istiod", { values: { sidecarInjectorWebhook: { enableNamespacesByDefault: true } } }),
      namespace("shop"),
    ],
  },
  // IST0123
  {
    title: "rejects a namespace with both istio-injection and istio.io/rev",
    policy: ist0123NamespaceMultipleInjectionLabels,
    fixtures: [namespace("shop", { "istio-injection": "enabled", "istio.io/rev": "1-23-4" })],
    rejects:
      /more than one type of injection labels: istio-injection=enabled, istio\.io\/rev=1-23-4 \(namespace shop\)/,
    count: 1,
  },
  {
    title: "accepts one injection label, and istio-injection=disabled next to a revision label (analyze ignores it)",
    policy: ist0123NamespaceMultipleInjectionLabels,
    fixtures: [
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      namespace("old", { "istio-injection": "disabled", "istio.io/rev": "1-23-4" }),
    ],
  },
  // IST0109
  {
    title: "rejects two mesh VirtualServices for the same host",
    policy: ist0109ConflictingMeshGatewayVirtualServiceHosts,
    fixtures: [
      vs("reviews-a", { hosts: ["reviews"], http: [route("reviews")] }, "shop"),
      vs("reviews-b", { hosts: ["reviews.shop.svc.cluster.local"], http: [route("reviews")] }, "shop"),
    ],
    rejects:
      /The VirtualServices shop\/reviews-a,shop\/reviews-b associated with mesh gateway define the same host \*\/reviews\.shop\.svc\.cluster\.local/,
    count: 2,
  },
  {
    title: "accepts mesh VirtualServices exported to different namespaces",
    policy: ist0109ConflictingMeshGatewayVirtualServiceHosts,
    fixtures: [
      vs("reviews-a", { hosts: ["reviews.shop.svc.cluster.local"], exportTo: ["."], http: [route("reviews")] }, "shop"),
      vs("reviews-b", { hosts: ["reviews.shop.svc.cluster.local"], exportTo: ["."], http: [route("reviews")] }, "web"),
    ],
  },
  // Same host on one gateway
  {
    title: "rejects two VirtualServices claiming the same host on the public gateway",
    policy: virtualServiceGatewayHostUnique,
    fixtures: [appVs("app"), appVs("app-canary")],
    rejects: /claims host app\.example\.com on gateway istio-ingress\/public-gateway, as does/,
    count: 2,
  },
  {
    title: "accepts one VirtualService per host on the public gateway, a wildcard next to a name under it included",
    policy: virtualServiceGatewayHostUnique,
    fixtures: [appVs("app"), appVs("api", ["api.example.com"]), appVs("catch-all", ["*.example.com"])],
  },
  // Weights
  {
    title: "rejects a canary split whose weights add up to 110",
    policy: virtualServiceRouteWeightsSumTo100,
    fixtures: [
      vs(
        "web",
        {
          hosts: ["web"],
          http: [
            {
              route: [
                { destination: { host: "web", subset: "a" }, weight: 90 },
                { destination: { host: "web", subset: "b" }, weight: 20 },
              ],
            },
          ],
        },
        "shop",
      ),
    ],
    rejects: /weights summing to 110: make them add up to 100/,
  },
  {
    title: "accepts a 90/10 split and single-destination routes without weights",
    policy: virtualServiceRouteWeightsSumTo100,
    fixtures: [
      vs(
        "web",
        {
          hosts: ["web"],
          http: [
            {
              route: [
                { destination: { host: "web", subset: "a" }, weight: 90 },
                { destination: { host: "web", subset: "b" }, weight: 10 },
              ],
            },
            route("web"),
          ],
        },
        "shop",
      ),
    ],
  },
  // Retry budget
  {
    title: "rejects retries whose per-try timeout outlasts the route timeout",
    policy: retryPerTryTimeoutWithinRouteTimeout,
    fixtures: [
      vs(
        "api",
        { hosts: ["api"], http: [route("api", { timeout: "5s", retries: { attempts: 3, perTryTimeout: "10s" } })] },
        "api",
      ),
    ],
    rejects: /retries\.perTryTimeout 10s, longer than its timeout 5s/,
  },
  {
    title: "accepts a 2s per-try timeout within a 30s route timeout",
    policy: retryPerTryTimeoutWithinRouteTimeout,
    fixtures: [
      vs(
        "api",
        { hosts: ["api"], http: [route("api", { timeout: "30s", retries: { attempts: 3, perTryTimeout: "2s" } })] },
        "api",
      ),
    ],
  },
  // IST0112
  {
    title: "rejects a route to a multi-port Service without a port",
    policy: ist0112VirtualServiceDestinationPortSelectorRequired,
    fixtures: [
      service("api", "api", [
        { name: "http", port: 8080 },
        { name: "grpc", port: 9090 },
      ]),
      vs("api", { hosts: ["api"], http: [route("api")] }, "api"),
    ],
    rejects: /routes to a service "api" that exposes multiple ports \[8080 9090\]/,
  },
  {
    title: "accepts a route to a multi-port Service that names its port",
    policy: ist0112VirtualServiceDestinationPortSelectorRequired,
    fixtures: [
      service("api", "api", [
        { name: "http", port: 8080 },
        { name: "grpc", port: 9090 },
      ]),
      vs(
        "api",
        { hosts: ["api"], http: [{ route: [{ destination: { host: "api", port: { number: 8080 } } }] }] },
        "api",
      ),
    ],
  },
  // IST0118
  {
    title: "reports a Service port whose name gives Istio no protocol",
    policy: ist0118PortNameIsNotUnderNamingConvention,
    fixtures: [service("web", "shop", [{ name: "web", port: 8080, targetPort: 8080 }])],
    rejects: /Port name web \(port: 8080, targetPort: 8080\) doesn't follow the naming convention of Istio port/,
  },
  {
    title: "accepts http-, grpc- names, appProtocol and Istio's own gateway Service",
    policy: ist0118PortNameIsNotUnderNamingConvention,
    fixtures: [
      service("web", "shop", [
        { name: "http-web", port: 80 },
        { name: "metrics", port: 9090, appProtocol: "http" },
        { name: "grpc", port: 9000 },
      ]),
      service("istio-ingressgateway", "istio-ingress", [{ name: "status-port", port: 15021 }], {
        istio: "ingressgateway",
      }),
    ],
  },
  // IST0128/IST0129
  {
    title: "rejects SIMPLE TLS to an external service without a CA to verify it",
    policy: ist0128NoServerCertificateVerification,
    fixtures: [
      istio("DestinationRule", "keycloak", {
        host: "keycloak.example.com",
        trafficPolicy: {
          tls: { mode: "SIMPLE" },
          portLevelSettings: [{ port: { number: 8443 }, tls: { mode: "MUTUAL" } }],
        },
      }),
    ],
    rejects:
      /has TLS mode set to (SIMPLE|MUTUAL) but no caCertificates are set to validate server identity for host: keycloak\.example\.com/,
    count: 2,
  },
  {
    title: "accepts SIMPLE TLS with caCertificates and ISTIO_MUTUAL",
    policy: ist0128NoServerCertificateVerification,
    fixtures: [
      istio("DestinationRule", "keycloak", {
        host: "keycloak.example.com",
        trafficPolicy: { tls: { mode: "SIMPLE", caCertificates: "/etc/certs/ca.pem" } },
      }),
      istio("DestinationRule", "web", { host: "web", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }),
    ],
  },
  // IST0130/IST0131
  {
    title: "rejects a route listed after a catch-all prefix that swallows it",
    policy: ist0130VirtualServiceUnreachableRule,
    fixtures: [
      vs("app", {
        hosts: ["app.example.com"],
        http: [
          { name: "web-root", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "web" } }] },
          { name: "api", match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "api" } }] },
        ],
      }),
    ],
    rejects:
      /VirtualService rule "api" match #0 of prefix \/api is not used \(duplicate\/overlapping match in rule #0 of prefix \/ on "web-root"\)/,
  },
  {
    title: "rejects a rule after a rule without matches, and a duplicate match",
    policy: ist0130VirtualServiceUnreachableRule,
    fixtures: [
      vs("app", {
        hosts: ["app.example.com"],
        http: [
          { match: [{ uri: { exact: "/login" } }], route: [{ destination: { host: "auth" } }] },
          { match: [{ uri: { exact: "/login" } }], route: [{ destination: { host: "auth2" } }] },
          { route: [{ destination: { host: "web" } }] },
          { route: [{ destination: { host: "web2" } }] },
        ],
      }),
    ],
    rejects:
      /(not used \(all matches used by prior rules\)|match #0 is not used \(duplicate\/overlapping match in rule #0\)|not used \(only the last rule can have no matches\))/,
    count: 3,
    // Two rules without any match are structural, known whatever the unknown values are.
    preview: { unknownLeaves: 1 },
  },
  {
    title: "accepts routes sorted longest prefix first, as components/ingress sorts them",
    policy: ist0130VirtualServiceUnreachableRule,
    fixtures: [
      vs("app", {
        hosts: ["app.example.com"],
        http: [
          { name: "api", match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "api" } }] },
          { name: "web-root", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "web" } }] },
        ],
      }),
    ],
  },
  // IST0132
  {
    title: "rejects a VirtualService whose host the bound Gateway does not serve",
    policy: ist0132VirtualServiceHostNotFoundInGateway,
    fixtures: [publicGateway(["istio-ingress/www.example.com"]), appVs("app", ["app.example.com"])],
    rejects:
      /one or more host \[app\.example\.com\] defined in VirtualService istio-ingress\/app not found in Gateway istio-ingress\/public-gateway/,
  },
  {
    title: "rejects a host the Gateway only admits for another namespace",
    policy: ist0132VirtualServiceHostNotFoundInGateway,
    fixtures: [
      publicGateway(["istio-ingress/app.example.com"]),
      vs(
        "app",
        { hosts: ["app.example.com"], gateways: ["istio-ingress/public-gateway"], http: [route("web")] },
        "shop",
      ),
    ],
    rejects: /not found in Gateway/,
  },
  {
    title: "accepts hosts served for the VirtualService's namespace, by name or wildcard",
    policy: ist0132VirtualServiceHostNotFoundInGateway,
    fixtures: [
      publicGateway(["istio-ingress/app.example.com", "*/*.example.org"]),
      appVs("app"),
      appVs("docs", ["docs.example.org"]),
    ],
  },
  // IST0145
  {
    title: "rejects two Gateways serving the same host and port on the same workload",
    policy: ist0145ConflictingGateways,
    fixtures: [
      publicGateway(["*/app.example.com"], "public-gateway"),
      publicGateway(["*/app.example.com"], "legacy-gateway"),
    ],
    rejects:
      /Conflict with gateways istio-ingress\/(legacy|public)-gateway \(workload selector app=istio-ingressgateway,istio=ingressgateway, port 80/,
    count: 2,
  },
  {
    title: "accepts Gateways with distinct hosts on the same workload",
    policy: ist0145ConflictingGateways,
    fixtures: [
      publicGateway(["*/app.example.com"], "public-gateway"),
      publicGateway(["*/grafana.example.com"], "monitoring-gateway"),
    ],
  },
  {
    title: "reports only the Gateway analyze reports when an earlier server of the other shares the port",
    policy: ist0145ConflictingGateways,
    fixtures: [
      istio(
        "Gateway",
        "a",
        {
          selector: SELECTOR,
          servers: [
            { port: { number: 443, name: "https-a", protocol: "HTTPS" }, hosts: ["*/a.example.com"] },
            { port: { number: 443, name: "https-b", protocol: "HTTPS" }, hosts: ["*/b.example.com"] },
          ],
        },
        { namespace: "istio-ingress" },
      ),
      istio(
        "Gateway",
        "c",
        {
          selector: SELECTOR,
          servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*/a.example.com"] }],
        },
        { namespace: "istio-ingress" },
      ),
    ],
    rejects: /Conflict with gateways istio-ingress\/c .* in Gateway istio-ingress\/a:/,
    count: 1,
  },
  // IST0149
  {
    title: "rejects JWT-claim routing on a gateway no RequestAuthentication covers",
    policy: ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
    fixtures: [
      gatewayDeployment(),
      publicGateway(),
      vs("app", {
        hosts: ["app.example.com"],
        gateways: ["istio-ingress/public-gateway"],
        http: [
          {
            match: [{ headers: { "@request.auth.claims.groups": { exact: "beta" } } }],
            route: [{ destination: { host: "web" } }],
          },
        ],
      }),
    ],
    rejects:
      /uses the JWT claim based routing \(key: @request\.auth\.claims\.groups\) but found no request authentication for the gateway \(istio-ingress\/public-gateway\)/,
  },
  {
    title: "accepts JWT-claim routing when the gateway pods have a RequestAuthentication",
    policy: ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
    fixtures: [
      gatewayDeployment(),
      publicGateway(),
      istio(
        "RequestAuthentication",
        "gateway-jwt",
        { selector: { matchLabels: { istio: "ingressgateway" } }, jwtRules: [{ issuer: "https://id.example.com" }] },
        { namespace: "istio-ingress" },
      ),
      vs("app", {
        hosts: ["app.example.com"],
        gateways: ["istio-ingress/public-gateway"],
        http: [
          {
            match: [{ headers: { "@request.auth.claims[groups]": { exact: "beta" } } }],
            route: [{ destination: { host: "web" } }],
          },
        ],
      }),
    ],
  },
  // IST0151-IST0155
  {
    title: "rejects EnvoyFilter operations Istio ignores or misapplies",
    policy: ist0151EnvoyFilterPatchOperations,
    fixtures: [
      istio(
        "EnvoyFilter",
        "tweaks",
        {
          configPatches: [
            { applyTo: "HTTP_ROUTE", patch: { operation: "ADD", value: {} } },
            { applyTo: "ROUTE_CONFIGURATION", patch: { operation: "REMOVE" } },
            { applyTo: "CLUSTER", patch: { operation: "REPLACE", value: {} } },
            { applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE", value: { name: "lua" } } },
          ],
        },
        { namespace: "istio-system" },
      ),
    ],
    rejects: /\((IST0153|IST0154|IST0152|IST0151)\)$/,
    count: 4,
  },
  {
    title: "reports a relative patch of a filter patched for a proxy version (IST0155)",
    policy: ist0151EnvoyFilterPatchOperations,
    fixtures: [
      istio(
        "EnvoyFilter",
        "versioned",
        {
          priority: 10,
          configPatches: [
            {
              applyTo: "HTTP_FILTER",
              match: { proxy: { proxyVersion: "^1\\.23.*" } },
              patch: { operation: "INSERT_FIRST", value: { name: "lua" } },
            },
          ],
        },
        { namespace: "istio-system" },
      ),
      istio(
        "EnvoyFilter",
        "relative",
        { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "INSERT_AFTER", value: { name: "lua" } } }] },
        { namespace: "istio-system" },
      ),
    ],
    rejects: /proxyVersion set which can cause the EnvoyFilter not to be applied during an upgrade.*\(IST0155\)$/,
    count: 1,
  },
  {
    title: "accepts INSERT_FIRST and prioritised relative patches",
    policy: ist0151EnvoyFilterPatchOperations,
    fixtures: [
      istio(
        "EnvoyFilter",
        "ok",
        {
          priority: 10,
          configPatches: [
            { applyTo: "HTTP_FILTER", patch: { operation: "INSERT_FIRST", value: { name: "lua" } } },
            { applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE", value: { name: "lua2" } } },
          ],
        },
        { namespace: "istio-system" },
      ),
    ],
  },
  // IST0165
  {
    title: "rejects a VirtualService bound to an autogenerated internal gateway",
    policy: ist0165ReferencedInternalGateway,
    fixtures: [appVs("app", ["app.example.com"], ["istio-ingress/web-istio-autogenerated-k8s-gateway-http"])],
    rejects:
      /is to an implementation-generated internal Gateway: istio-ingress\/web-istio-autogenerated-k8s-gateway-http/,
  },
  {
    title: "accepts a VirtualService bound to a declared Gateway",
    policy: ist0165ReferencedInternalGateway,
    fixtures: [appVs()],
  },
  // IST0166
  {
    title: "rejects a selector aimed at a Kubernetes Gateway's pods",
    policy: ist0166IneffectiveSelector,
    fixtures: [
      kube(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        "waypoint",
        { spec: { gatewayClassName: "istio" } },
        { namespace: "shop" },
      ),
      istio(
        "AuthorizationPolicy",
        "gw",
        {
          selector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "waypoint" } },
          rules: [{ from: [{ source: { principals: ["x"] } }] }],
        },
        { namespace: "shop" },
      ),
    ],
    rejects: /Ineffective selector on Kubernetes Gateway waypoint\. Use the TargetRef field instead/,
  },
  {
    title: "accepts a policy that targets the Kubernetes Gateway with targetRef",
    policy: ist0166IneffectiveSelector,
    fixtures: [
      kube(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        "waypoint",
        { spec: { gatewayClassName: "istio" } },
        { namespace: "shop" },
      ),
      istio(
        "AuthorizationPolicy",
        "gw",
        { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "waypoint" }], rules: [{}] },
        { namespace: "shop" },
      ),
      istio(
        "AuthorizationPolicy",
        "web",
        { selector: { matchLabels: { app: "web" } }, rules: [{ from: [{ source: { principals: ["x"] } }] }] },
        { namespace: "shop" },
      ),
    ],
  },
  // IST0167
  {
    title: "rejects a Sidecar in an ambient namespace",
    policy: ist0167IneffectivePolicy,
    fixtures: [
      namespace("shop", { "istio.io/dataplane-mode": "ambient" }),
      istio("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
    ],
    rejects: /The policy has no impact: namespace is in ambient mode/,
  },
  {
    title: "rejects a Sidecar selecting an ambient workload",
    policy: ist0167IneffectivePolicy,
    fixtures: [
      deployment("web", "shop", { labels: { app: "web" }, annotations: { "ambient.istio.io/redirection": "enabled" } }),
      istio(
        "Sidecar",
        "web",
        { workloadSelector: { labels: { app: "web" } }, egress: [{ hosts: ["./*"] }] },
        { namespace: "shop" },
      ),
    ],
    rejects: /selected workload is in ambient mode/,
  },
  {
    title: "accepts a Sidecar in a namespace whose revision label wins over the ambient label",
    policy: ist0167IneffectivePolicy,
    fixtures: [
      namespace("shop", { "istio.io/dataplane-mode": "ambient", "istio.io/rev": "1-23-4" }),
      istio("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
    ],
  },
  // IST0116 / IST0137
  {
    title: "rejects a meshed Deployment whose Services use one port with two protocols and one targetPort twice",
    policy: ist0116DeploymentServicePorts,
    fixtures: [
      namespace("shop", { "istio-injection": "enabled" }),
      deployment("dns", "shop", { labels: { app: "dns" } }),
      kube(
        "v1",
        "Service",
        "dns-tcp",
        { spec: { selector: { app: "dns" }, ports: [{ name: "tcp-dns", port: 53, protocol: "TCP" }] } },
        { namespace: "shop" },
      ),
      kube(
        "v1",
        "Service",
        "dns-udp",
        { spec: { selector: { app: "dns" }, ports: [{ name: "udp-dns", port: 53, protocol: "UDP" }] } },
        { namespace: "shop" },
      ),
      kube(
        "v1",
        "Service",
        "dns-alt",
        { spec: { selector: { app: "dns" }, ports: [{ name: "tcp-alt", port: 5353, targetPort: 53 }] } },
        { namespace: "shop" },
      ),
    ],
    rejects:
      /This deployment dns is associated with multiple services (using port 53 but different protocols: \[shop\/dns-tcp shop\/dns-udp\]|\[shop\/dns-alt shop\/dns-udp\] using targetPort "53" but different ports: \[53 5353\])/,
    count: 2,
  },
  {
    title: "accepts distinct ports, and Deployments analyze does not count in the mesh (revision-labelled namespace)",
    policy: ist0116DeploymentServicePorts,
    fixtures: [
      namespace("shop", { "istio-injection": "enabled" }),
      namespace("blog", { "istio.io/rev": "1-23-4" }),
      deployment("web", "shop", { labels: { app: "web" } }),
      kube(
        "v1",
        "Service",
        "web",
        { spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
        { namespace: "shop" },
      ),
      kube(
        "v1",
        "Service",
        "web-admin",
        { spec: { selector: { app: "web" }, ports: [{ name: "http-admin", port: 9000 }] } },
        { namespace: "shop" },
      ),
      deployment("dns", "blog", { labels: { app: "dns" } }),
      kube(
        "v1",
        "Service",
        "dns-tcp",
        { spec: { selector: { app: "dns" }, ports: [{ name: "tcp-dns", port: 53, protocol: "TCP" }] } },
        { namespace: "blog" },
      ),
      kube(
        "v1",
        "Service",
        "dns-udp",
        { spec: { selector: { app: "dns" }, ports: [{ name: "udp-dns", port: 53, protocol: "UDP" }] } },
        { namespace: "blog" },
      ),
    ],
  },
  // IST0134
  {
    title: "rejects a TCP ServiceEntry without addresses when the mesh does not auto-allocate",
    policy: ist0134ServiceEntryAddressesRequired,
    fixtures: [
      helmRelease("istiod"),
      istio(
        "ServiceEntry",
        "db",
        { hosts: ["db.example.com"], ports: [{ number: 5432, name: "tcp-pg", protocol: "TCP" }], resolution: "DNS" },
        { namespace: "shop" },
      ),
    ],
    rejects: /ServiceEntry addresses are required for this protocol \(ServiceEntry shop\/db, port 5432\)/,
    count: 1,
  },
  {
    title: "accepts HTTPS ServiceEntries, TCP with addresses, and any when DNS auto-allocation is on",
    policy: ist0134ServiceEntryAddressesRequired,
    fixtures: [
      helmRelease("istiod"),
      istio(
        "ServiceEntry",
        "api",
        { hosts: ["api.example.com"], ports: [{ number: 443, name: "https", protocol: "HTTPS" }], resolution: "DNS" },
        { namespace: "shop" },
      ),
      istio(
        "ServiceEntry",
        "db",
        {
          hosts: ["db.example.com"],
          addresses: ["10.0.0.5"],
          ports: [{ number: 5432, name: "tcp-pg", protocol: "TCP" }],
          resolution: "STATIC",
        },
        { namespace: "shop" },
      ),
    ],
  },
  {
    title: "accepts a TCP ServiceEntry without addresses when istiod auto-allocates them",
    policy: ist0134ServiceEntryAddressesRequired,
    fixtures: [
      helmRelease("istiod", {
        values: {
          meshConfig: {
            defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: "true", ISTIO_META_DNS_AUTO_ALLOCATE: "true" } },
          },
        },
      }),
      istio(
        "ServiceEntry",
        "db",
        { hosts: ["db.example.com"], ports: [{ number: 5432, name: "tcp-pg" }] },
        { namespace: "shop" },
      ),
    ],
  },
  // IST0138
  {
    title: "rejects two Gateways on one workload serving the same TLS credential",
    policy: ist0138GatewayDuplicateCertificate,
    fixtures: [
      istio(
        "Gateway",
        "www",
        {
          selector: SELECTOR,
          servers: [
            {
              port: { number: 443, name: "https", protocol: "HTTPS" },
              hosts: ["*/www.example.com"],
              tls: { mode: "SIMPLE", credentialName: "example-tls" },
            },
          ],
        },
        { namespace: "istio-ingress" },
      ),
      istio(
        "Gateway",
        "api",
        {
          selector: { istio: "ingressgateway" },
          servers: [
            {
              port: { number: 443, name: "https", protocol: "HTTPS" },
              hosts: ["*/api.example.com"],
              tls: { mode: "SIMPLE", credentialName: "example-tls" },
            },
          ],
        },
        { namespace: "istio-ingress" },
      ),
    ],
    // api's selector is a subset of www's: analyze reports api only.
    rejects: /Duplicate certificate in multiple gateways \[istio-ingress\/api istio-ingress\/www\]/,
    count: 1,
  },
  {
    title: "accepts one Gateway serving several hosts with one certificate, and distinct certificates",
    policy: ist0138GatewayDuplicateCertificate,
    fixtures: [
      istio(
        "Gateway",
        "public",
        {
          selector: SELECTOR,
          servers: [
            {
              port: { number: 443, name: "https-www", protocol: "HTTPS" },
              hosts: ["*/www.example.com"],
              tls: { mode: "SIMPLE", credentialName: "example-tls" },
            },
            {
              port: { number: 443, name: "https-api", protocol: "HTTPS" },
              hosts: ["*/api.example.com"],
              tls: { mode: "SIMPLE", credentialName: "example-tls" },
            },
          ],
        },
        { namespace: "istio-ingress" },
      ),
      istio(
        "Gateway",
        "other",
        {
          selector: SELECTOR,
          servers: [
            {
              port: { number: 443, name: "https", protocol: "HTTPS" },
              hosts: ["*/other.example.org"],
              tls: { mode: "SIMPLE", credentialName: "other-tls" },
            },
          ],
        },
        { namespace: "istio-ingress" },
      ),
    ],
  },
  // IST0140
  {
    title: "warns when a gateway route skips the subsets another VirtualService defines for its host",
    policy: ist0140IngressRouteRulesNotAffected,
    fixtures: [
      vs(
        "reviews",
        { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }] },
        "shop",
      ),
      vs(
        "app",
        { hosts: ["app.example.com"], gateways: ["istio-ingress/public-gateway"], http: [route("reviews")] },
        "shop",
      ),
    ],
    rejects: /Subset in virtual service shop\/reviews has no effect on ingress gateway shop\/app requests/,
    count: 1,
  },
  {
    title: "accepts gateway routes that name the subset, and hosts no VirtualService splits",
    policy: ist0140IngressRouteRulesNotAffected,
    fixtures: [
      vs(
        "reviews",
        { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }] },
        "shop",
      ),
      vs(
        "app",
        {
          hosts: ["app.example.com"],
          gateways: ["istio-ingress/public-gateway"],
          http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }, route("web")],
        },
        "shop",
      ),
    ],
  },
  // IST0144
  {
    title: "rejects an application container or pod running as UID 1337",
    policy: ist0144InvalidApplicationUid,
    fixtures: [
      {
        ...deployment("web", "shop", {
          containers: [{ name: "app", image: "example/app:1", securityContext: { runAsUser: 1337 } }],
        }),
      },
      kube(
        "v1",
        "Pod",
        "debug",
        { spec: { securityContext: { runAsUser: 1337 }, containers: [{ name: "x", image: "y" }] } },
        { namespace: "shop" },
      ),
    ],
    rejects:
      /User ID \(UID\) 1337 is reserved for the sidecar proxy \((Deployment shop\/web, container app|Pod shop\/debug, the pod securityContext)\)/,
    count: 2,
  },
  {
    title: "accepts UID 1337 on istio-proxy and on Istio's own workloads (istio label)",
    policy: ist0144InvalidApplicationUid,
    fixtures: [
      deployment("web", "shop", {
        containers: [
          { name: "app", image: "example/app:1", securityContext: { runAsUser: 1000 } },
          { name: "istio-proxy", image: "auto", securityContext: { runAsUser: 1337 } },
        ],
      }),
      kube(
        "apps/v1",
        "Deployment",
        "istio-ingressgateway",
        {
          spec: {
            template: { spec: { securityContext: { runAsUser: 1337 }, containers: [{ name: "x", image: "y" }] } },
          },
        },
        { namespace: "istio-ingress", labels: { istio: "ingressgateway" } },
      ),
    ],
  },
  // IST0146
  {
    title: "rejects an image: auto gateway whose labels match no webhook of the installed revision",
    policy: ist0146ImageAutoWithoutInjection,
    fixtures: [
      helmRelease("istiod", { values: { revision: "1-23-4" } }),
      namespace("edge"),
      deployment("gw", "edge", {
        labels: { app: "gw", "sidecar.istio.io/inject": "true" },
        containers: [{ name: "istio-proxy", image: "auto" }],
      }),
    ],
    rejects: /Deployment gw contains `image: auto` but does not match any Istio injection webhook selectors/,
    count: 1,
  },
  {
    title: "accepts the gateway Deployment the program writes (pod label istio.io/rev in an unlabelled namespace)",
    policy: ist0146ImageAutoWithoutInjection,
    fixtures: [
      helmRelease("istiod", { values: { revision: "1-23-4" } }),
      namespace("istio-ingress"),
      gatewayDeployment(),
    ],
  },
  // IST0150 (in the IST0118 policy)
  {
    title: "rejects an ExternalName Service port named tcp (IST0150)",
    policy: ist0118PortNameIsNotUnderNamingConvention,
    fixtures: [
      kube(
        "v1",
        "Service",
        "db",
        { spec: { type: "ExternalName", externalName: "db.example.com", ports: [{ name: "tcp", port: 5432 }] } },
        { namespace: "shop" },
      ),
    ],
    rejects: /Port name for ExternalName service is invalid.*IST0150/,
    count: 1,
  },
  {
    title: "accepts an ExternalName Service with a protocol-named port",
    policy: ist0118PortNameIsNotUnderNamingConvention,
    fixtures: [
      kube(
        "v1",
        "Service",
        "api",
        { spec: { type: "ExternalName", externalName: "api.example.com", ports: [{ name: "https", port: 443 }] } },
        { namespace: "shop" },
      ),
    ],
  },
  // IST0157
  {
    title: "rejects a Telemetry access log entry without providers when the mesh sets no default",
    policy: ist0157InvalidTelemetryProvider,
    fixtures: [
      helmRelease("istiod", { values: { meshConfig: {} } }),
      istio(
        "Telemetry",
        "logs",
        { accessLogging: [{ filter: { expression: "response.code >= 400" } }] },
        { namespace: "shop" },
      ),
    ],
    rejects: /The Telemetry (logs|<unknown>) in namespace "(shop|<unknown>)" with empty providers will be ignored/,
    count: 1,
    // No providers and no default stay known when only the filter expression is unknown.
    preview: { unknownLeaves: 1 },
  },
  {
    title: "accepts empty providers when meshConfig.defaultProviders.accessLogging is set, and disabled entries",
    policy: ist0157InvalidTelemetryProvider,
    fixtures: [
      helmRelease("istiod", { values: { meshConfig: { defaultProviders: { accessLogging: ["envoy"] } } } }),
      istio(
        "Telemetry",
        "logs",
        { accessLogging: [{ filter: { expression: "response.code >= 400" } }] },
        { namespace: "shop" },
      ),
      istio("Telemetry", "off", { accessLogging: [{ disabled: true }] }, { namespace: "blog" }),
    ],
  },
  // IST0159 / IST0160
  {
    title: "rejects two Telemetries selecting the same workload",
    policy: ist0159ConflictingTelemetries,
    fixtures: [
      deployment("web", "shop", { labels: { app: "web", tier: "front" } }),
      istio("Telemetry", "a", { selector: { matchLabels: { app: "web" } } }, { namespace: "shop" }),
      istio("Telemetry", "b", { selector: { matchLabels: { tier: "front" } } }, { namespace: "shop" }),
    ],
    rejects: /The Telemetries \[a,b\] in namespace "shop" select the same workload pod "web"/,
    count: 2,
  },
  {
    title: "rejects two Telemetries without a selector in one namespace",
    policy: ist0159ConflictingTelemetries,
    fixtures: [
      istio("Telemetry", "mesh-default", { tracing: [{ randomSamplingPercentage: 1 }] }, { namespace: "istio-system" }),
      istio(
        "Telemetry",
        "mesh-logs",
        { accessLogging: [{ providers: [{ name: "envoy" }] }] },
        { namespace: "istio-system" },
      ),
    ],
    rejects: /The Telemetries \[mesh-default,mesh-logs\] in namespace "istio-system" have no workload selector/,
    count: 2,
  },
  {
    title: "accepts one Telemetry per scope, and an empty selector as analyze does",
    policy: ist0159ConflictingTelemetries,
    fixtures: [
      deployment("web", "shop", { labels: { app: "web" } }),
      istio("Telemetry", "mesh-default", { tracing: [{ randomSamplingPercentage: 1 }] }, { namespace: "istio-system" }),
      istio("Telemetry", "shop", {}, { namespace: "shop" }),
      istio("Telemetry", "shop-empty", { selector: {} }, { namespace: "shop" }),
      istio("Telemetry", "web", { selector: { matchLabels: { app: "web" } } }, { namespace: "shop" }),
    ],
  },
  // IST0110 / IST0111
  {
    title: "rejects two Sidecars selecting the same workload",
    policy: ist0110ConflictingSidecars,
    fixtures: [
      deployment("web", "shop", { labels: { app: "web", tier: "front" } }),
      istio("Sidecar", "a", { workloadSelector: { labels: { app: "web" } } }, { namespace: "shop" }),
      istio("Sidecar", "b", { workloadSelector: { labels: { tier: "front" } } }, { namespace: "shop" }),
    ],
    rejects: /The Sidecars \[a,b\] in namespace shop select the same workload pod "web"/,
    count: 2,
  },
  {
    title: "rejects two Sidecars without a selector in one namespace",
    policy: ist0110ConflictingSidecars,
    fixtures: [
      istio("Sidecar", "a", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
      istio("Sidecar", "b", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
    ],
    rejects: /The Sidecars \[a,b\] in namespace shop have no workload selector/,
    count: 2,
  },
  {
    title: "accepts one namespace-wide Sidecar plus one per workload, and selectors in other namespaces",
    policy: ist0110ConflictingSidecars,
    fixtures: [
      deployment("web", "shop", { labels: { app: "web" } }),
      deployment("web", "blog", { labels: { app: "web" } }),
      istio("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
      istio("Sidecar", "web", { workloadSelector: { labels: { app: "web" } } }, { namespace: "shop" }),
      istio("Sidecar", "web", { workloadSelector: { labels: { app: "web" } } }, { namespace: "blog" }),
    ],
  },
  // IST0162
  {
    title: "rejects a Gateway port the gateway's Service does not expose",
    policy: ist0162GatewayPortNotDefinedOnService,
    fixtures: [
      gatewayDeployment(),
      kube(
        "v1",
        "Service",
        "istio-ingressgateway",
        { spec: { selector: SELECTOR, ports: [{ name: "http2", port: 80, targetPort: 8080 }] } },
        { namespace: "istio-ingress" },
      ),
      istio(
        "Gateway",
        "public-gateway",
        {
          selector: SELECTOR,
          servers: [
            { port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["*/*"] },
            { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*/*"], tls: { mode: "SIMPLE" } },
          ],
        },
        { namespace: "istio-ingress" },
      ),
    ],
    rejects:
      /The gateway refers to a port that is not exposed on the workload \(pod selector app=istio-ingressgateway,istio=ingressgateway; port 443\)/,
    count: 1,
  },
  {
    title: "accepts Gateway ports matching the Service's ports or targetPorts, and gateways outside the stack",
    policy: ist0162GatewayPortNotDefinedOnService,
    fixtures: [
      gatewayDeployment(),
      kube(
        "v1",
        "Service",
        "istio-ingressgateway",
        {
          spec: {
            selector: SELECTOR,
            ports: [
              { name: "http2", port: 80, targetPort: 8080 },
              { name: "https", port: 443, targetPort: "https" },
            ],
          },
        },
        { namespace: "istio-ingress" },
      ),
      publicGateway(["*/*"]),
      istio(
        "Gateway",
        "tls",
        { selector: SELECTOR, servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*/*"] }] },
        { namespace: "istio-ingress" },
      ),
      istio(
        "Gateway",
        "elsewhere",
        {
          selector: { istio: "legacy" },
          servers: [{ port: { number: 9999, name: "tcp", protocol: "TCP" }, hosts: ["*"] }],
        },
        { namespace: "istio-system" },
      ),
    ],
  },
  {
    title: "accepts a Sidecar in a sidecar-injected namespace",
    policy: ist0167IneffectivePolicy,
    fixtures: [
      namespace("shop", { "istio.io/rev": "1-23-4" }),
      istio("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "shop" }),
    ],
  },
];

describe("istioctl analyze ports and traffic checks", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(
    [
      ist0101ReferencedResourceNotFound,
      ist0102NamespaceNotInjected,
      ist0110ConflictingSidecars,
      ist0116DeploymentServicePorts,
      ist0123NamespaceMultipleInjectionLabels,
      ist0134ServiceEntryAddressesRequired,
      ist0138GatewayDuplicateCertificate,
      ist0140IngressRouteRulesNotAffected,
      ist0144InvalidApplicationUid,
      ist0146ImageAutoWithoutInjection,
      ist0157InvalidTelemetryProvider,
      ist0159ConflictingTelemetries,
      ist0162GatewayPortNotDefinedOnService,
      ist0109ConflictingMeshGatewayVirtualServiceHosts,
      virtualServiceGatewayHostUnique,
      virtualServiceRouteWeightsSumTo100,
      retryPerTryTimeoutWithinRouteTimeout,
      ist0112VirtualServiceDestinationPortSelectorRequired,
      ist0118PortNameIsNotUnderNamingConvention,
      ist0128NoServerCertificateVerification,
      ist0130VirtualServiceUnreachableRule,
      ist0132VirtualServiceHostNotFoundInGateway,
      ist0145ConflictingGateways,
      ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
      ist0151EnvoyFilterPatchOperations,
      ist0165ReferencedInternalGateway,
      ist0166IneffectiveSelector,
      ist0167IneffectivePolicy,
    ],
    cases,
  );

  it.each([
    ["http-web", 80, "TCP", undefined, false],
    ["web", 8080, "TCP", undefined, true],
    ["mysql", 3306, "TCP", undefined, false],
    ["custom", 3306, "TCP", undefined, false],
    ["dns", 53, "UDP", undefined, false],
    ["metrics", 9090, "TCP", "http", false],
    ["grpc-web-ui", 8080, "TCP", undefined, false],
  ] as const)(
    "infers Istio's protocol for port %s/%d like ConvertProtocol",
    (name, port, protocol, app, unsupported) => {
      expect(portProtocolUnsupported(port, name, protocol, app)).toBe(unsupported);
    },
  );
});
