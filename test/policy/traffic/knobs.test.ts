// The traffic policies for the knobs of aks-mesh:traffic: locality load balancing needs outlier detection, a pool
// below the declared load, a retry budget past the route timeout, fault drills without an unexpired allow, and
// EnvoyFilters scoped to a proxy version and to the stack's gateway and application namespaces. Fixtures are shaped
// as components/traffic sends them.
import {
  connectionPoolCoversExpectedLoad,
  localityLbRequiresOutlierDetection,
} from "../../../policy/traffic/destination-rules";
import { envoyFilterScoped, minorsMatched } from "../../../policy/traffic/envoy-filters";
import { UNKNOWN } from "../../../policy/lib";
import { faultInjectionAllowed, retryBudgetWithinRouteTimeout } from "../../../policy/traffic/virtual-services";
import { type Case, gatewayDeployment, istio, namespace, runCases, runCoverage, runPreviewSafety } from "../fixtures";

const HOST = "review-service.api.svc.cluster.local";
const breaker = { consecutiveGatewayErrors: 3, interval: "30s" };
const locality = { localityLbSetting: { failoverPriority: ["topology.kubernetes.io/zone"] } };

const rule = (trafficPolicy: unknown, extra: Record<string, unknown> = {}, annotations?: Record<string, string>) =>
  istio(
    "DestinationRule",
    "review-service",
    { host: HOST, trafficPolicy, ...extra },
    { namespace: "api", annotations },
  );

const route = (http: Record<string, unknown>, annotations?: Record<string, string>) =>
  istio(
    "VirtualService",
    "review-service-mesh",
    { hosts: [HOST], http: [{ name: "review-service", route: [{ destination: { host: HOST } }], ...http }] },
    { namespace: "api", annotations },
  );

const FAULT = { abort: { percentage: { value: 5 }, httpStatus: 503 } };
const EXPIRES = "traffic.aks-mesh.io/fault-expires";
const ALLOWED = "traffic.aks-mesh.io/fault-allowed-in-production";

const patch = (proxyVersion?: string) => ({
  applyTo: "HTTP_FILTER",
  match: { context: "SIDECAR_INBOUND", ...(proxyVersion ? { proxy: { proxyVersion } } : {}) },
  patch: { operation: "INSERT_FIRST", value: { name: "envoy.filters.http.local_ratelimit" } },
});
const filter = (ns: string, proxyVersion?: string) =>
  istio("EnvoyFilter", "review-service-ratelimit", { configPatches: [patch(proxyVersion)] }, { namespace: ns });
const enrolled = namespace("api", { "istio.io/rev": "1-23-4" });

const cases: Case[] = [
  {
    title: "rejects locality load balancing without outlier detection",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [rule({ loadBalancer: locality })],
    rejects: /^DestinationRule \S+ trafficPolicy\.loadBalancer\.localityLbSetting fails over with no outlierDetection/,
    count: 1,
    // Decided from which fields are set: the setting is there, outlierDetection (or match.proxy) is not.
    preview: { unknownLeaves: 1 },
  },
  {
    title: "rejects a port-level locality setting when neither the port nor the top level ejects",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [rule({ portLevelSettings: [{ port: { number: 8080 }, loadBalancer: locality }] })],
    rejects: /portLevelSettings\[0\]\.loadBalancer\.localityLbSetting fails over/,
    count: 1,
  },
  {
    title:
      "rejects a port-level locality setting that leans on the top level's outlier detection (ports do not inherit)",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [
      rule({ outlierDetection: breaker, portLevelSettings: [{ port: { number: 8080 }, loadBalancer: locality }] }),
    ],
    rejects: /portLevelSettings\[0\]\.loadBalancer\.localityLbSetting fails over .* for port 8080/,
    count: 1,
  },
  {
    title: "rejects a subset's locality setting when neither the subset nor the destination ejects",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [
      rule(undefined, {
        subsets: [{ name: "v2", labels: { version: "v2" }, trafficPolicy: { loadBalancer: locality } }],
      }),
    ],
    rejects: /subsets\[0\]\.trafficPolicy\.loadBalancer\.localityLbSetting fails over .* for subset v2/,
    count: 1,
  },
  {
    title:
      "accepts locality beside outlier detection at the top level, on a port with its own, and in a subset inheriting it",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [
      rule(
        {
          loadBalancer: locality,
          outlierDetection: breaker,
          portLevelSettings: [{ port: { number: 8080 }, loadBalancer: locality, outlierDetection: breaker }],
        },
        { subsets: [{ name: "v2", labels: { version: "v2" }, trafficPolicy: { loadBalancer: locality } }] },
      ),
    ],
  },
  {
    title: "accepts a locality distribution without outlier detection (only failover needs it)",
    policy: localityLbRequiresOutlierDetection,
    fixtures: [
      rule({ loadBalancer: { localityLbSetting: { distribute: [{ from: "kc/kc-1/*", to: { "kc/kc-1/*": 100 } }] } } }),
    ],
  },
  {
    title: "rejects a connection pool below the declared load",
    policy: connectionPoolCoversExpectedLoad,
    fixtures: [
      rule(
        { connectionPool: { http: { http2MaxRequests: 50 } } },
        {},
        { "traffic.aks-mesh.io/expected-concurrent-requests": "120" },
      ),
    ],
    rejects: /connectionPool\.http\.http2MaxRequests is 50, below the 120 concurrent requests/,
    count: 1,
  },
  {
    title: "accepts a connection pool at the declared load",
    policy: connectionPoolCoversExpectedLoad,
    fixtures: [
      rule(
        { connectionPool: { http: { http2MaxRequests: 120 }, tcp: { maxConnections: 200 } } },
        {},
        { "traffic.aks-mesh.io/expected-concurrent-requests": "120" },
      ),
    ],
  },
  {
    title: "accepts a small connection pool when no load is declared",
    policy: connectionPoolCoversExpectedLoad,
    fixtures: [rule({ connectionPool: { tcp: { maxConnections: 1 } } })],
  },
  {
    title: "rejects tries (1 + attempts) x perTryTimeout beyond the route timeout",
    policy: retryBudgetWithinRouteTimeout,
    fixtures: [route({ timeout: "5s", retries: { attempts: 2, perTryTimeout: "2s" } })],
    rejects: /http\[0\]: 3 tries of 2s \(6s\) exceed its timeout 5s/,
    count: 1,
  },
  {
    title:
      "leaves a single try longer than the timeout to retry-per-try-timeout-within-route-timeout (no second report)",
    policy: retryBudgetWithinRouteTimeout,
    fixtures: [route({ timeout: "2s", retries: { attempts: 2, perTryTimeout: "3s" } })],
  },
  {
    title: "accepts tries that fit in the route timeout",
    policy: retryBudgetWithinRouteTimeout,
    fixtures: [route({ timeout: "10s", retries: { attempts: 2, perTryTimeout: "3s" } })],
  },
  {
    title: "rejects a fault drill without an explicit allow",
    policy: faultInjectionAllowed,
    fixtures: [route({ fault: FAULT }, { [EXPIRES]: "2099-12-31" })],
    rejects: /injects faults without an explicit allow/,
    count: 1,
  },
  {
    title: "rejects an allowed fault drill past its day",
    policy: faultInjectionAllowed,
    fixtures: [route({ fault: FAULT }, { [EXPIRES]: "2000-01-01", [ALLOWED]: "true" })],
    rejects: /its drill ended on 2000-01-01/,
    count: 1,
  },
  {
    title: "accepts an allowed, unexpired fault drill",
    policy: faultInjectionAllowed,
    fixtures: [route({ fault: FAULT }, { [EXPIRES]: "2099-12-31", [ALLOWED]: "true" })],
  },
  {
    title: "accepts an unexpired drill without the allow where the allow is not required (development)",
    policy: faultInjectionAllowed,
    config: { requireAllow: false },
    fixtures: [route({ fault: FAULT }, { [EXPIRES]: "2099-12-31" })],
  },
  {
    title: "rejects an EnvoyFilter patch that matches every proxy version",
    policy: envoyFilterScoped,
    fixtures: [enrolled, filter("api")],
    rejects: /configPatches\[0\] matches every proxy version/,
    count: 1,
    // Decided from which fields are set: the setting is there, outlierDetection (or match.proxy) is not.
    preview: { unknownLeaves: 1 },
  },
  {
    title: "rejects an EnvoyFilter patch whose proxyVersion matches every version (istiod matches it unanchored)",
    policy: envoyFilterScoped,
    fixtures: [enrolled, filter("api", ".*")],
    rejects: /proxyVersion "\.\*", which matches proxies of 100 Istio minors \(1\.0 to 1\.99\)/,
    count: 1,
  },
  {
    title: "rejects an EnvoyFilter patch whose unanchored proxyVersion also matches later minors",
    policy: envoyFilterScoped,
    fixtures: [enrolled, filter("api", "1\\.2")],
    rejects: /matches proxies of \d+ Istio minors \(1\.2 to 1\.\d+\)/,
    count: 1,
  },
  {
    title: "accepts a proxyVersion of one minor, as Istio's own well-known form ^1\\.23.*",
    policy: envoyFilterScoped,
    fixtures: [enrolled, filter("api", "^1\\.23.*")],
  },
  {
    title: "rejects an EnvoyFilter in the mesh root namespace",
    policy: envoyFilterScoped,
    fixtures: [enrolled, filter("istio-system", "^1\\.23\\.4([^0-9].*)?$")],
    rejects: /is in istio-system, the mesh root namespace: it patches every proxy of the mesh/,
    count: 1,
  },
  {
    title: "accepts version-scoped EnvoyFilters in an enrolled namespace and in the gateway's",
    policy: envoyFilterScoped,
    fixtures: [
      enrolled,
      gatewayDeployment("istio-ingress"),
      filter("api", "^1\\.23\\.4([^0-9].*)?$"),
      filter("istio-ingress", "^1\\.23\\.4([^0-9].*)?$"),
    ],
  },
  {
    title: "accepts a version-scoped EnvoyFilter in a namespace the policy's config allows",
    policy: envoyFilterScoped,
    config: { allowedNamespaces: ["istio-system"] },
    fixtures: [enrolled, filter("istio-system", "^1\\.23\\.4([^0-9].*)?$")],
  },
];

describe("traffic: knobs", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(
    [
      localityLbRequiresOutlierDetection,
      connectionPoolCoversExpectedLoad,
      retryBudgetWithinRouteTimeout,
      faultInjectionAllowed,
      envoyFilterScoped,
    ],
    cases,
  );
});

describe("minorsMatched reads proxyVersion as istiod's unanchored Go regexp.MatchString", () => {
  test.each([
    ["^1\\.23\\.4([^0-9].*)?$", ["1.23"]],
    ["^1\\.23.*", ["1.23"]],
    ["1\\.23\\.", ["1.23"]],
    ["^1\\.2[34]\\.", ["1.23", "1.24"]],
    ["^2\\.", []],
  ])("%s matches %j", (regex, minors) => {
    expect(minorsMatched(regex)).toEqual(minors);
  });

  test("leaves a regex JavaScript cannot compile to istiod's validation", () => {
    expect(minorsMatched("(?P<minor>1\\.23)")).toBe(UNKNOWN);
  });
});
