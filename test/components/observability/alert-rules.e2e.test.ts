// The alert and recording rules evaluated by the real promtool (`promtool check rules`, `promtool test rules`) on the
// rule files the program generates: every alert with a series where it must fire and one where it must not, and every
// recording rule computed from its own inputs.
//
// Version skew: CI has Debian's promtool 2.42, the cluster runs Prometheus 3.x. Prometheus 3 made range selectors
// left-open (a sample exactly at the window's start is out) and lets regex `.` match newlines. So no case depends on
// either: counters grow linearly (rate and increase give the same value with or without the boundary sample), the
// week-long baselines are sampled hourly and evaluated at half past (no sample on a window boundary), values sit far
// from thresholds, results are compared with a tolerance, and no label value has a newline.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { AlertRule, RuleGroup } from "../../../components/observability";
import { tempDir } from "../../harness";
import { describeWithTools, runTool, type ToolResult } from "../../support/prom-tools";
import {
  type InputSeries,
  renderedAnnotations,
  selector,
  serializeTests,
  type TestFile,
  type TestGroup,
} from "../../support/promtool-tests";
import { GATEWAY, GATEWAY_ADDRESS, type RenderedAlerting, renderAlerting } from "../../support/rendered-alerting";

const SVC = { destination_service_namespace: "shop", destination_service_name: "reviews" };
const requests = (code: string, values: string): InputSeries => ({
  series: selector("istio_requests_total", { reporter: "destination", ...SVC, response_code: code }),
  values,
});
const latencyBucket = (le: string, values: string): InputSeries => ({
  series: selector("istio_request_duration_milliseconds_bucket", { reporter: "destination", ...SVC, le }),
  values,
});
const series = (metric: string, labels: Record<string, string>, values: string): InputSeries => ({
  series: selector(metric, labels),
  values,
});
/** 10 requests per second, none failing: busy enough for the ratio and anomaly alerts to apply. */
const BUSY = requests("200", "0+600x60");

interface AlertCase {
  alert: string;
  /** What the case protects (the test name). */
  why: string;
  input: InputSeries[];
  at: string;
  /** Empty: the alert must not fire. `value`: how {{ $value }} renders in the annotations. */
  fires: { labels: Record<string, string>; value?: string }[];
}

const ALERT_CASES: AlertCase[] = [
  {
    alert: "IstioServiceHigh5xxRatio",
    why: "pages when a busy service answers 20% of requests with 5xx",
    input: [requests("200", "0+480x30"), requests("503", "0+120x30")],
    at: "20m",
    fires: [{ labels: SVC, value: "20%" }],
  },
  {
    alert: "IstioServiceHigh5xxRatio",
    why: "stays quiet at 1% of 5xx",
    input: [requests("200", "0+594x30"), requests("503", "0+6x30")],
    at: "20m",
    fires: [],
  },
  {
    alert: "IstioServiceHigh5xxRatio",
    why: "ignores a service too quiet for its ratio to mean anything (half of 4 requests a minute)",
    input: [requests("200", "0+2x30"), requests("503", "0+2x30")],
    at: "20m",
    fires: [],
  },
  {
    alert: "IstioServiceHighLatencyP99",
    why: "warns when the slowest 1% take between 1 and 2.5 s",
    input: [
      BUSY,
      latencyBucket("500", "0x60"),
      latencyBucket("1000", "0x60"),
      latencyBucket("2500", "0+600x60"),
      latencyBucket("+Inf", "0+600x60"),
    ],
    at: "25m",
    fires: [{ labels: SVC, value: "2.485k" }],
  },
  {
    alert: "IstioServiceHighLatencyP99",
    why: "stays quiet when every request takes under 500 ms",
    input: [
      BUSY,
      latencyBucket("500", "0+600x60"),
      latencyBucket("1000", "0+600x60"),
      latencyBucket("2500", "0+600x60"),
      latencyBucket("+Inf", "0+600x60"),
    ],
    at: "25m",
    fires: [],
  },
  {
    alert: "ServiceTrafficAnomaly",
    why: "warns when traffic drops 5 standard deviations below its prediction",
    input: [BUSY, series("service:istio_requests:rate5m:zscore", SVC, "-5x60")],
    at: "25m",
    fires: [{ labels: SVC, value: "5" }],
  },
  {
    alert: "ServiceTrafficAnomaly",
    why: "stays quiet within 3 standard deviations",
    input: [BUSY, series("service:istio_requests:rate5m:zscore", SVC, "2x60")],
    at: "25m",
    fires: [],
  },
  {
    alert: "ServiceErrorRatioAnomaly",
    why: "warns when the 5xx ratio is 4 standard deviations above its weekly mean",
    input: [BUSY, series("service:istio_requests_5xx:ratio_rate5m:zscore", SVC, "4x60")],
    at: "25m",
    fires: [{ labels: SVC, value: "4" }],
  },
  {
    alert: "ServiceErrorRatioAnomaly",
    why: "does not treat fewer errors than usual as an anomaly",
    input: [BUSY, series("service:istio_requests_5xx:ratio_rate5m:zscore", SVC, "-4x60")],
    at: "25m",
    fires: [],
  },
  {
    alert: "IngressGatewayDown",
    why: "pages when the gateway Deployment has no available replica",
    input: [
      series(
        "kube_deployment_status_replicas_available",
        { namespace: GATEWAY.namespace, deployment: GATEWAY.name },
        "0x20",
      ),
    ],
    at: "10m",
    fires: [{ labels: {} }],
  },
  {
    alert: "IngressGatewayDown",
    why: "pages when kube-state-metrics reports no gateway Deployment at all",
    input: [series("kube_deployment_status_replicas_available", { namespace: "shop", deployment: "web" }, "2x20")],
    at: "10m",
    fires: [{ labels: {} }],
  },
  {
    alert: "IngressGatewayDown",
    why: "stays quiet with two available replicas",
    input: [
      series(
        "kube_deployment_status_replicas_available",
        { namespace: GATEWAY.namespace, deployment: GATEWAY.name },
        "2x20",
      ),
    ],
    at: "10m",
    fires: [],
  },
  {
    alert: "IngressGatewayIpUnreachable",
    why: "pages when the gateway Service holds another address than the static IP",
    input: [
      series(
        "kube_service_status_load_balancer_ingress",
        { namespace: GATEWAY.namespace, service: GATEWAY.name, ip: "10.1.2.3" },
        "1x20",
      ),
    ],
    at: "15m",
    fires: [{ labels: { namespace: GATEWAY.namespace, service: GATEWAY.name, ip: GATEWAY_ADDRESS } }],
  },
  {
    alert: "IngressGatewayIpUnreachable",
    why: "stays quiet while the Service holds the static IP",
    input: [
      series(
        "kube_service_status_load_balancer_ingress",
        { namespace: GATEWAY.namespace, service: GATEWAY.name, ip: GATEWAY_ADDRESS },
        "1x20",
      ),
    ],
    at: "15m",
    fires: [],
  },
  {
    alert: "IstiodUnavailable",
    why: "pages when no istiod answers its scrape",
    input: [series("up", { namespace: "istio-system", app: "istiod", instance: "10.0.0.5:15014" }, "0x20")],
    at: "15m",
    fires: [{ labels: {} }],
  },
  {
    alert: "IstiodUnavailable",
    why: "stays quiet while one istiod is up",
    input: [series("up", { namespace: "istio-system", app: "istiod", instance: "10.0.0.5:15014" }, "1x20")],
    at: "15m",
    fires: [],
  },
  {
    alert: "IstiodPushErrors",
    why: "warns when proxies keep rejecting pushes",
    input: [series("pilot_total_xds_rejects", { type: "lds" }, "0+1x30")],
    at: "20m",
    fires: [{ labels: {}, value: "10" }],
  },
  {
    alert: "IstiodPushErrors",
    why: "stays quiet when the reject counter does not move",
    input: [series("pilot_total_xds_rejects", { type: "lds" }, "5x30")],
    at: "20m",
    fires: [],
  },
  {
    alert: "SidecarInjectionFailures",
    why: "warns as soon as injection fails",
    input: [series("sidecar_injection_failure_total", { type: "inject" }, "0+1x30")],
    at: "15m",
    fires: [{ labels: {}, value: "10" }],
  },
  {
    alert: "SidecarInjectionFailures",
    why: "stays quiet when the failure counter does not move",
    input: [series("sidecar_injection_failure_total", { type: "inject" }, "3x30")],
    at: "15m",
    fires: [],
  },
  {
    alert: "SidecarProxyRestarting",
    why: "warns when an istio-proxy container restarts more than 3 times in 30 minutes",
    input: [
      series(
        "kube_pod_container_status_restarts_total",
        { namespace: "shop", pod: "reviews-1", container: "istio-proxy" },
        "0+1x60",
      ),
    ],
    at: "40m",
    fires: [{ labels: { namespace: "shop", pod: "reviews-1" }, value: "30" }],
  },
  {
    alert: "SidecarProxyRestarting",
    why: "leaves restarts of the application container to other alerts",
    input: [
      series(
        "kube_pod_container_status_restarts_total",
        { namespace: "shop", pod: "reviews-1", container: "app" },
        "0+1x60",
      ),
    ],
    at: "40m",
    fires: [],
  },
  {
    alert: "CertificateExpiringSoon",
    why: "warns when the gateway serves a certificate that expires in 5 days",
    input: [
      series("envoy_server_days_until_first_cert_expiring", { namespace: GATEWAY.namespace, pod: "gw-1" }, "5x90"),
    ],
    at: "70m",
    fires: [{ labels: { namespace: GATEWAY.namespace, pod: "gw-1" }, value: "5" }],
  },
  {
    alert: "CertificateExpiringSoon",
    // 10 days after the epoch; at 70 minutes that is 9.951 days away.
    why: "warns when the mesh root CA expires within the threshold",
    input: [
      series("citadel_server_root_cert_expiry_timestamp", { namespace: "istio-system", pod: "istiod-1" }, "864000x90"),
    ],
    at: "70m",
    fires: [{ labels: { namespace: "istio-system", pod: "istiod-1" }, value: "9.951" }],
  },
  {
    alert: "CertificateExpiringSoon",
    why: "ignores workload sidecars' short-lived certificates outside the gateway",
    input: [series("envoy_server_days_until_first_cert_expiring", { namespace: "shop", pod: "reviews-1" }, "5x90")],
    at: "70m",
    fires: [],
  },
  {
    alert: "NodeMemoryHigh",
    why: "warns at 88% of node memory in use",
    input: [
      series("node_memory_MemAvailable_bytes", { instance: "node-1" }, "12x30"),
      series("node_memory_MemTotal_bytes", { instance: "node-1" }, "100x30"),
    ],
    at: "20m",
    fires: [{ labels: { instance: "node-1" }, value: "88" }],
  },
  {
    alert: "NodeMemoryHigh",
    why: "stays quiet at the nodes' usual 74%",
    input: [
      series("node_memory_MemAvailable_bytes", { instance: "node-1" }, "26x30"),
      series("node_memory_MemTotal_bytes", { instance: "node-1" }, "100x30"),
    ],
    at: "20m",
    fires: [],
  },
  {
    alert: "NodeMemoryCritical",
    why: "pages at 95% of node memory in use",
    input: [
      series("node_memory_MemAvailable_bytes", { instance: "node-1" }, "5x30"),
      series("node_memory_MemTotal_bytes", { instance: "node-1" }, "100x30"),
    ],
    at: "10m",
    fires: [{ labels: { instance: "node-1" }, value: "95" }],
  },
  {
    alert: "NodeMemoryCritical",
    why: "leaves 88% to the warning",
    input: [
      series("node_memory_MemAvailable_bytes", { instance: "node-1" }, "12x30"),
      series("node_memory_MemTotal_bytes", { instance: "node-1" }, "100x30"),
    ],
    at: "10m",
    fires: [],
  },
  {
    alert: "LokiIngestionStopped",
    why: "pages when Loki's received-bytes counter stops moving",
    input: [series("loki_distributor_bytes_received_total", { tenant: "fake" }, "1000x40")],
    at: "30m",
    fires: [{ labels: {} }],
  },
  {
    alert: "LokiIngestionStopped",
    why: "stays quiet while logs arrive",
    input: [series("loki_distributor_bytes_received_total", { tenant: "fake" }, "0+5000x40")],
    at: "30m",
    fires: [],
  },
  {
    alert: "PrometheusTargetDown",
    why: "warns when a target fails every scrape for 10 minutes",
    input: [series("up", { job: "kiali", instance: "10.0.0.9:9090" }, "0x20")],
    at: "15m",
    fires: [{ labels: { job: "kiali", instance: "10.0.0.9:9090" } }],
  },
  {
    alert: "PrometheusTargetDown",
    why: "stays quiet while the target answers",
    input: [series("up", { job: "kiali", instance: "10.0.0.9:9090" }, "1x20")],
    at: "15m",
    fires: [],
  },
];

/** `expr` evaluates to `expected` within `tolerance`: a comparison, so a last-digit float difference cannot fail it. */
function near(expr: string, expected: number, labels: string, tolerance = 1e-9) {
  return { expr: `abs(${expr} - ${expected}) < bool ${tolerance}`, labels };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const SVC_LABELS = `{destination_service_name="reviews", destination_service_namespace="shop"}`;

/** 61 one-minute samples alternating a and b (0..60m); the last is a. */
const alternating = (a: number, b: number) => Array.from({ length: 61 }, (_, i) => (i % 2 === 0 ? a : b));

interface RecordingCase {
  why: string;
  /** File 1 runs every minute; "weekly" cases run on hourly samples evaluated every 30 minutes. */
  cadence: "minute" | "weekly";
  input: InputSeries[];
  at: string;
  checks: { expr: string; labels: string }[];
}

// The weekly baselines: one week has 168 hourly samples at 10 requests per second, with a peak of 30 from hour 10 to
// 14 of the week, and every week is 5 more than the last (a trend). At 4 weeks 12h30m the hour is a peak hour of week
// 4 (30 + 20 = 50): the same hour of weeks 1-3, each corrected by the trend between that week and this one, predicts
// exactly that, where a plain one-week mean would say about 31.
const WEEK = 168;
const hourly = Array.from({ length: 4 * WEEK + 14 }, (_, h) => {
  const hourOfWeek = h % WEEK;
  return (hourOfWeek >= 10 && hourOfWeek <= 14 ? 30 : 10) + 5 * Math.floor(h / WEEK);
});
const EVAL_HOURS = 4 * WEEK + 12.5;
/** The samples of the week before EVAL_HOURS (hours 4w-155 .. 4w+12: no sample on the window's edge). */
const lastWeek = hourly.filter((_, h) => h > EVAL_HOURS - WEEK && h <= EVAL_HOURS);

/** A 5xx ratio alternating 1% and 3% for an hour, then 20% in the last minute. */
const errorRatios = [...Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 0.01 : 0.03)), 0.2];

const RECORDING_CASES: RecordingCase[] = [
  {
    why: "records each service's request rate and 5xx ratio from Istio's request counter",
    cadence: "minute",
    input: [requests("200", "0+480x30"), requests("503", "0+120x30")],
    at: "20m",
    checks: [
      near("service:istio_requests:rate5m", 10, SVC_LABELS),
      near("service:istio_requests_5xx:ratio_rate5m", 0.2, SVC_LABELS),
    ],
  },
  {
    why: "scores the request rate against the prediction in standard deviations of the last week",
    cadence: "minute",
    input: [
      series("service:istio_requests:rate5m", SVC, alternating(10, 14).join(" ")),
      series("service:istio_requests:rate5m:prediction", SVC, "4x60"),
    ],
    at: "60m",
    checks: [
      near("service:istio_requests:rate5m:stddev_over_time_1w", stddev(alternating(10, 14)), SVC_LABELS),
      near("service:istio_requests:rate5m:zscore", (10 - 4) / stddev(alternating(10, 14)), SVC_LABELS, 1e-6),
    ],
  },
  {
    why: "gives no traffic score, rather than a division by zero, for a perfectly flat week",
    cadence: "minute",
    input: [
      series("service:istio_requests:rate5m", SVC, "10x60"),
      series("service:istio_requests:rate5m:prediction", SVC, "4x60"),
    ],
    at: "60m",
    checks: [{ expr: "absent(service:istio_requests:rate5m:zscore)", labels: "{}" }],
  },
  {
    why: "scores the 5xx ratio against its one-week mean and standard deviation",
    cadence: "minute",
    input: [series("service:istio_requests_5xx:ratio_rate5m", SVC, errorRatios.join(" "))],
    at: "60m",
    checks: [
      near("service:istio_requests_5xx:ratio_rate5m:avg_over_time_1w", mean(errorRatios), SVC_LABELS),
      near("service:istio_requests_5xx:ratio_rate5m:stddev_over_time_1w", stddev(errorRatios), SVC_LABELS),
      near(
        "service:istio_requests_5xx:ratio_rate5m:zscore",
        (0.2 - mean(errorRatios)) / stddev(errorRatios),
        SVC_LABELS,
        1e-6,
      ),
    ],
  },
  {
    why: "predicts this hour's traffic from the same hour of the last three weeks, corrected by the weekly trend",
    cadence: "weekly",
    input: [series("service:istio_requests:rate5m", SVC, hourly.join(" "))],
    at: `${Math.floor(EVAL_HOURS)}h30m`,
    checks: [
      near("service:istio_requests:rate5m:avg_over_time_1w", mean(lastWeek), SVC_LABELS, 1e-6),
      near("service:istio_requests:rate5m:stddev_over_time_1w", stddev(lastWeek), SVC_LABELS, 1e-6),
      near("service:istio_requests:rate5m:prediction", 50, SVC_LABELS, 1e-6),
    ],
  },
];

describeWithTools(["promtool"], "alert and recording rules evaluated by promtool", () => {
  let rendered: RenderedAlerting;
  let alertRules: Map<string, AlertRule>;
  let groupNames: string[];

  beforeAll(async () => {
    rendered = await renderAlerting(tempDir("aks-mesh-rules-"));
    const file = YAML.parse(fs.readFileSync(path.join(rendered.dir, rendered.alertingRules), "utf8")) as {
      groups: RuleGroup<AlertRule>[];
    };
    alertRules = new Map(file.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
    const recording = YAML.parse(fs.readFileSync(path.join(rendered.dir, rendered.recordingRules), "utf8")) as {
      groups: { name: string }[];
    };
    groupNames = [...recording.groups, ...file.groups].map((g) => g.name);
  });

  const groupFor = (c: AlertCase): TestGroup => {
    const rule = alertRules.get(c.alert);
    if (!rule) throw new Error(`the generated rules have no alert ${c.alert}`);
    return {
      name: `${c.alert} ${c.why}`,
      interval: "1m",
      input_series: c.input,
      alert_rule_test: [
        {
          eval_time: c.at,
          alertname: c.alert,
          exp_alerts: c.fires.map((f) => ({
            exp_labels: { ...rule.labels, ...f.labels },
            exp_annotations: renderedAnnotations(rule, f.labels, f.value),
          })),
        },
      ],
    };
  };
  const recordingGroup = (c: RecordingCase): TestGroup => ({
    name: c.why,
    interval: c.cadence === "weekly" ? "1h" : "1m",
    input_series: c.input,
    promql_expr_test: c.checks.map((k) => ({
      expr: k.expr,
      eval_time: c.at,
      exp_samples: [{ labels: k.labels, value: 1 }],
    })),
  });

  /** Runs promtool test rules on the generated rule files with these test groups. */
  async function promtoolTest(name: string, groups: TestGroup[], evaluationInterval: string): Promise<ToolResult> {
    const file: TestFile = {
      rule_files: [rendered.recordingRules, rendered.alertingRules],
      evaluation_interval: evaluationInterval,
      // The recording groups first, in their file's order: at each step a score reads the baselines, and an alert the
      // series, of that same step, so the expected values are exact. Prometheus runs groups independently, where a
      // score may use baselines up to one baseline interval old; the alerts' inputs are steady, so that never matters.
      group_eval_order: groupNames,
      tests: groups,
    };
    const testFile = path.join(rendered.dir, `${name}.test.yml`);
    fs.writeFileSync(testFile, serializeTests(file));
    return runTool("promtool", ["test", "rules", path.basename(testFile)], rendered.dir);
  }

  // One promtool run per cadence for all cases; a case runs alone only when its run failed, to name the culprit.
  const runs = new Map<string, Promise<ToolResult>>();
  function evaluate(cadence: "minute" | "weekly", group: TestGroup, all: () => TestGroup[]): Promise<ToolResult> {
    const interval = cadence === "weekly" ? "30m" : "1m";
    if (!runs.has(cadence)) runs.set(cadence, promtoolTest(`all-${cadence}`, all(), interval));
    return runs
      .get(cadence)!
      .then((r) =>
        r.code === 0 ? r : promtoolTest(`one-${group.name.replace(/[^A-Za-z0-9]+/g, "-")}`, [group], interval),
      );
  }
  const allMinute = () => [
    ...ALERT_CASES.map(groupFor),
    ...RECORDING_CASES.filter((c) => c.cadence === "minute").map(recordingGroup),
  ];
  const allWeekly = () => RECORDING_CASES.filter((c) => c.cadence === "weekly").map(recordingGroup);

  test("promtool check rules accepts both generated rule files", async () => {
    const r = await runTool(
      "promtool",
      ["check", "rules", rendered.recordingRules, rendered.alertingRules],
      rendered.dir,
    );
    expect({ code: r.code, output: r.stdout + r.stderr }).toEqual({
      code: 0,
      output: expect.stringContaining("SUCCESS: 15 rules found") as string,
    });
    expect(r.stdout).toContain("SUCCESS: 9 rules found");
  });

  test("every alert of the generated file has a case where it fires and one where it does not", () => {
    for (const name of alertRules.keys()) {
      const cases = ALERT_CASES.filter((c) => c.alert === name);
      expect([name, cases.some((c) => c.fires.length > 0), cases.some((c) => c.fires.length === 0)]).toEqual([
        name,
        true,
        true,
      ]);
    }
  });

  test("every recording rule of the generated file is checked by a case", () => {
    const file = YAML.parse(fs.readFileSync(path.join(rendered.dir, rendered.recordingRules), "utf8")) as {
      groups: { rules: { record: string }[] }[];
    };
    const checked = RECORDING_CASES.flatMap((c) => c.checks.map((k) => k.expr)).join("\n");
    const unchecked = file.groups
      .flatMap((g) => g.rules.map((r) => r.record))
      .filter((r) => !checked.includes(`${r} `) && !checked.includes(`${r})`));
    expect(unchecked).toEqual([]);
  });

  test.each(ALERT_CASES.map((c) => [c.alert, c.why, c] as const))("%s %s", async (_a, _w, c) => {
    const r = await evaluate("minute", groupFor(c), allMinute);
    expect({ code: r.code, output: r.stdout + r.stderr }).toEqual({
      code: 0,
      output: expect.stringContaining("SUCCESS") as string,
    });
  });

  test.each(RECORDING_CASES.map((c) => [c.why, c] as const))("recording rules: %s", async (_w, c) => {
    const r = await evaluate(c.cadence, recordingGroup(c), c.cadence === "weekly" ? allWeekly : allMinute);
    expect({ code: r.code, output: r.stdout + r.stderr }).toEqual({
      code: 0,
      output: expect.stringContaining("SUCCESS") as string,
    });
  });
});
