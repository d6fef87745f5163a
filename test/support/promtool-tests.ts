// promtool rule unit tests (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/) built as
// typed objects and serialized, so each case reads as data next to the rule it tests.
import YAML from "yaml";
import type { AlertRule } from "../../components/observability";

/** One input series: a selector and promtool's expanding notation ("0+60x30", "1x20", "_x5 3"). */
export interface InputSeries {
  series: string;
  values: string;
}

export interface ExpectedAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}

export interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: ExpectedAlert[] }[];
  promql_expr_test?: { expr: string; eval_time: string; exp_samples: { labels: string; value: number }[] }[];
}

export interface TestFile {
  rule_files: string[];
  evaluation_interval: string;
  /**
   * The order promtool evaluates the groups in at each step. Without it the order is random (promtool iterates a
   * map), so a rule reading another group's series would see this step's value or the last one by chance.
   */
  group_eval_order: string[];
  tests: TestGroup[];
}

export const serializeTests = (file: TestFile): string => YAML.stringify(file);

/** A series selector from a metric name and labels (values must not contain quotes or newlines). */
export function selector(metric: string, labels: Record<string, string>): string {
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ");
  return `${metric}{${inner}}`;
}

/**
 * The annotations Prometheus renders for an alert, from the rule's own templates: `{{ $labels.x }}` becomes the
 * label's value and `{{ $value ... }}` the rendering the case states (e.g. "20%" for humanizePercentage of 0.2), so
 * promtool checks that Go's templates really render that. Any other template construct fails loudly.
 */
export function renderedAnnotations(
  rule: AlertRule,
  labels: Record<string, string>,
  value: string | undefined,
): Record<string, string> {
  const render = (text: string) =>
    text
      .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_m, name: string) => {
        const v = labels[name];
        if (v === undefined) throw new Error(`${rule.alert}: the case gives no label ${name}`);
        return v;
      })
      .replace(/\{\{\s*\$value(\s*\|\s*\w+)?\s*\}\}/g, () => {
        if (value === undefined) throw new Error(`${rule.alert}: the case must state how $value renders`);
        return value;
      });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations)) {
    if (v === undefined) continue;
    const text = render(v);
    if (text.includes("{{")) throw new Error(`${rule.alert}: annotation ${k} has a template the test cannot render`);
    out[k] = text;
  }
  return out;
}
