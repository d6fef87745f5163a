import fs from "node:fs";
import path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { alertRuleGroups, baselineRuleGroups } from "../../../components/observability";
import { ROOT } from "../../harness";

const groups = alertRuleGroups({
  thresholds: {
    errorRatio: 0.05,
    latencyP99Ms: 1000,
    nodeMemoryWarningPercent: 83,
    nodeMemoryCriticalPercent: 92,
    certExpiryDays: 14,
    anomalyZScore: 3,
  },
  gateway: { namespace: "istio-ingress", name: "istio-ingressgateway" },
  gatewayAddress: "20.249.144.238",
  istioNamespace: "istio-system",
  runbookBaseUrl: "https://git.example.com/aks-mesh/blob/main/docs/runbooks",
});
const alerts = groups.flatMap((g) => g.rules);
const recordings = baselineRuleGroups().flatMap((g) => g.rules);

/** The positions of syntax errors in a PromQL expression (empty when it parses). */
function syntaxErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

test("the parser used here rejects malformed PromQL, so the parse checks below can fail", () => {
  expect(syntaxErrors("sum(rate(x[5m])) by (a) >")).not.toEqual([]);
});

test.each(alerts.map((a) => [a.alert, a.expr]))("alert %s has valid PromQL", (_name, expr) => {
  expect(syntaxErrors(expr)).toEqual([]);
});

test.each(recordings.map((r) => [r.record, r.expr]))("recording rule %s has valid PromQL", (_name, expr) => {
  expect(syntaxErrors(expr)).toEqual([]);
});

test.each(alerts.map((a) => [a.alert, a]))(
  "alert %s has a severity, a summary, a description and a runbook",
  (_n, a) => {
    expect(["critical", "warning", "info"]).toContain(a.labels.severity);
    expect(a.annotations.summary.length).toBeGreaterThan(0);
    expect(a.annotations.description.length).toBeGreaterThan(0);
    expect(a.annotations.runbook).toBe(`docs/runbooks/${a.alert}.md`);
    expect(a.annotations.runbook_url).toBe(`https://git.example.com/aks-mesh/blob/main/docs/runbooks/${a.alert}.md`);
  },
);

test.each(alerts.map((a) => [a.alert]))("alert %s has its runbook file in the repository", (name) => {
  expect(fs.existsSync(path.join(ROOT, "docs", "runbooks", `${name}.md`))).toBe(true);
});

test("every alert name is unique, so runbooks and Alertmanager groups are unambiguous", () => {
  const names = alerts.map((a) => a.alert);
  expect(new Set(names).size).toBe(names.length);
});

test("covers every alert the issue lists", () => {
  expect(alerts.map((a) => a.alert).sort()).toEqual(
    [
      "CertificateExpiringSoon",
      "IngressGatewayDown",
      "IngressGatewayIpUnreachable",
      "IstioServiceHigh5xxRatio",
      "IstioServiceHighLatencyP99",
      "IstiodPushErrors",
      "IstiodUnavailable",
      "LokiIngestionStopped",
      "NodeMemoryCritical",
      "NodeMemoryHigh",
      "PrometheusTargetDown",
      "ServiceErrorRatioAnomaly",
      "ServiceTrafficAnomaly",
      "SidecarInjectionFailures",
      "SidecarProxyRestarting",
    ].sort(),
  );
});

test("puts the configured thresholds into the rules", () => {
  const byName = Object.fromEntries(alerts.map((a) => [a.alert, a.expr]));
  expect(byName.IstioServiceHigh5xxRatio).toContain("> 0.05");
  expect(byName.NodeMemoryHigh).toContain("> 83");
  expect(byName.NodeMemoryCritical).toContain("> 92");
  expect(byName.IngressGatewayIpUnreachable).toContain('ip="20.249.144.238"');
});

test("baselines traffic against the same hour of the last three weeks", () => {
  const prediction = recordings.find((r) => r.record === "service:istio_requests:rate5m:prediction");
  for (const w of ["1w", "2w", "3w"]) expect(prediction?.expr).toContain(`offset ${w}`);
  const z = recordings.find((r) => r.record === "service:istio_requests:rate5m:zscore");
  expect(z?.expr).toContain("service:istio_requests:rate5m:stddev_over_time_1w");
});
