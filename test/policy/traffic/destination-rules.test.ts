// The circuit-breaker policies: the ejection cap of a DestinationRule, and retries that need outlier detection on the
// host they retry against. Fixtures are shaped as components/traffic and components/ingress send them.
import { maxEjectionPercentWithinCap, retriesRequireOutlierDetection } from "../../../policy/traffic/destination-rules";
import { type Case, check, istio, runCases, runCoverage, runPreviewSafety, UNKNOWN_STRING } from "../fixtures";

const HOST = "review-service.api.svc.cluster.local";

const rule = (trafficPolicy: unknown, extra: Record<string, unknown> = {}) =>
  istio("DestinationRule", "review-service", { host: HOST, trafficPolicy, ...extra }, { namespace: "api" });

const retrying = (destination: Record<string, unknown>, attempts = 3) =>
  istio(
    "VirtualService",
    "delegate-review",
    { http: [{ route: [{ destination }], retries: { attempts, perTryTimeout: "2s" }, timeout: "10s" }] },
    { namespace: "api" },
  );

const breaker = { consecutiveGatewayErrors: 3, interval: "30s", baseEjectionTime: "30s" };

const cases: Case[] = [
  {
    title: "rejects a maxEjectionPercent above the default cap of 50",
    policy: maxEjectionPercentWithinCap,
    fixtures: [rule({ outlierDetection: { ...breaker, maxEjectionPercent: 100 } })],
    rejects: /trafficPolicy\.outlierDetection\.maxEjectionPercent is 100, above the cap of 50/,
    count: 1,
  },
  {
    title: "rejects a subset's port-level maxEjectionPercent above a configured cap",
    policy: maxEjectionPercentWithinCap,
    config: { maxEjectionPercent: 20 },
    fixtures: [
      rule(undefined, {
        subsets: [
          {
            name: "v2",
            labels: { version: "v2" },
            trafficPolicy: {
              portLevelSettings: [{ port: { number: 8080 }, outlierDetection: { maxEjectionPercent: 30 } }],
            },
          },
        ],
      }),
    ],
    rejects:
      /subsets\[0\]\.trafficPolicy\.portLevelSettings\[0\]\.outlierDetection\.maxEjectionPercent is 30, above the cap of 20/,
    count: 1,
  },
  {
    title: "accepts a maxEjectionPercent at the cap",
    policy: maxEjectionPercentWithinCap,
    fixtures: [rule({ outlierDetection: { ...breaker, maxEjectionPercent: 50 } })],
  },
  {
    title: "accepts outlier detection that leaves maxEjectionPercent at Istio's default",
    policy: maxEjectionPercentWithinCap,
    fixtures: [rule({ outlierDetection: breaker })],
  },
  {
    title: "rejects retries to a host whose DestinationRule has no outlierDetection",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule({ connectionPool: { http: { maxRetries: 3 } } }),
      retrying({ host: "review-service", port: { number: 8080 } }),
    ],
    rejects:
      /retries 3 times to review-service\.api\.svc\.cluster\.local, which has no DestinationRule with outlierDetection/,
    count: 1,
  },
  {
    title: "rejects retries to a host with no DestinationRule at all",
    policy: retriesRequireOutlierDetection,
    fixtures: [retrying({ host: HOST })],
    rejects: /which has no DestinationRule with outlierDetection/,
    count: 1,
  },
  {
    title: "accepts retries to a host whose DestinationRule ejects failing hosts",
    policy: retriesRequireOutlierDetection,
    fixtures: [rule({ outlierDetection: breaker }), retrying({ host: "review-service", port: { number: 8080 } })],
  },
  {
    title: "accepts retries to a subset whose own traffic policy ejects failing hosts",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule(undefined, {
        subsets: [{ name: "v2", labels: { version: "v2" }, trafficPolicy: { outlierDetection: breaker } }],
      }),
      retrying({ host: HOST, subset: "v2" }),
    ],
  },
  {
    title:
      "rejects retries to a port whose portLevelSettings entry has no outlierDetection (it does not inherit the top level's)",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule({
        outlierDetection: breaker,
        portLevelSettings: [{ port: { number: 8080 }, connectionPool: { http: { maxRetries: 3 } } }],
      }),
      retrying({ host: "review-service", port: { number: 8080 } }),
    ],
    rejects:
      /retries 3 times to review-service\.api\.svc\.cluster\.local, which has no DestinationRule with outlierDetection/,
    count: 1,
  },
  {
    title: "accepts retries to a port without a portLevelSettings entry when the top level ejects failing hosts",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule({
        outlierDetection: breaker,
        portLevelSettings: [{ port: { number: 9090 }, connectionPool: { http: { maxRetries: 3 } } }],
      }),
      retrying({ host: "review-service", port: { number: 8080 } }),
    ],
  },
  {
    title: "rejects retries to a subset whose port entry has no outlierDetection, over the destination's",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule(
        { outlierDetection: breaker },
        {
          subsets: [
            {
              name: "v2",
              labels: { version: "v2" },
              trafficPolicy: {
                portLevelSettings: [{ port: { number: 8080 }, connectionPool: { tcp: { maxConnections: 10 } } }],
              },
            },
          ],
        },
      ),
      retrying({ host: HOST, subset: "v2", port: { number: 8080 } }),
    ],
    rejects: /which has no DestinationRule with outlierDetection/,
    count: 1,
  },
  {
    title: "accepts retries to a subset that inherits the destination's outlierDetection",
    policy: retriesRequireOutlierDetection,
    fixtures: [
      rule(
        { outlierDetection: breaker },
        {
          subsets: [
            {
              name: "v2",
              labels: { version: "v2" },
              trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } },
            },
          ],
        },
      ),
      retrying({ host: HOST, subset: "v2", port: { number: 8080 } }),
    ],
  },
  {
    title: "accepts a route that turns retries off (attempts 0) without outlier detection",
    policy: retriesRequireOutlierDetection,
    fixtures: [retrying({ host: HOST }, 0)],
  },
];

describe("traffic: circuit breakers", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([maxEjectionPercentWithinCap, retriesRequireOutlierDetection], cases);
});

test("retries-require-outlier-detection leaves undecided a DestinationRule whose host is unknown in preview", async () => {
  const unknownHost = istio(
    "DestinationRule",
    "review-service",
    { host: UNKNOWN_STRING, trafficPolicy: { outlierDetection: breaker } },
    { namespace: "api" },
  );
  expect(await check(retriesRequireOutlierDetection, [unknownHost, retrying({ host: HOST })])).toEqual([]);
});
