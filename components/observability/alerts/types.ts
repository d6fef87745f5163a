// Prometheus rule files as typed objects (the shape of a rule file, https://prometheus.io/docs/prometheus/latest/
// configuration/recording_rules/), so a misspelled field fails to compile.

export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  /** Alert name; also the runbook file name docs/runbooks/<alert>.md. */
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires. */
  for?: string;
  labels: { severity: Severity } & Record<string, string>;
  annotations: {
    summary: string;
    description: string;
    /** Repository path of the runbook; always set. */
    runbook: string;
    /** The runbook on the Git host, when observability.alerts.runbookBaseUrl is set. */
    runbook_url?: string;
  };
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RuleGroup<R extends AlertRule | RecordingRule> {
  name: string;
  /** Evaluation interval of the group; the global one when absent. */
  interval?: string;
  rules: R[];
}

/** A Prometheus rule file. */
export interface RuleFile<R extends AlertRule | RecordingRule> {
  groups: RuleGroup<R>[];
}

/** Where runbooks live in this repository. */
export const RUNBOOK_DIR = "docs/runbooks";

/** The runbook annotations of an alert: the repository path, and the URL when a base URL is configured. */
export function runbookAnnotations(alert: string, baseUrl?: string): { runbook: string; runbook_url?: string } {
  const file = `${alert}.md`;
  return {
    runbook: `${RUNBOOK_DIR}/${file}`,
    ...(baseUrl ? { runbook_url: `${baseUrl.replace(/\/+$/, "")}/${file}` } : {}),
  };
}
