// The alerting files exactly as the program hands them to the prometheus chart: the Observability component is built
// under the test harness and its release values are read back (serverFiles' rule files, alertmanager.config). The
// chart writes both with toYaml, untouched (prometheus 29.27.0 templates/cm.yaml, alertmanager 1.42.0
// templates/configmap.yaml), so serializing them gives the files Prometheus and Alertmanager load.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { parseConfig } from "../../config";
import { mockRuntime } from "../harness";

/** The thresholds the alert tests reason about, set explicitly rather than taken from defaults. */
export const THRESHOLDS = {
  errorRatio: 0.05,
  latencyP99Ms: 1000,
  nodeMemoryWarningPercent: 83,
  nodeMemoryCriticalPercent: 92,
  certExpiryDays: 14,
  anomalyZScore: 3,
} as const;
export const GATEWAY = { namespace: "istio-ingress", name: "istio-ingressgateway" } as const;
export const GATEWAY_ADDRESS = "20.249.144.238";
export const RUNBOOK_BASE = "https://git.example.com/aks-mesh/blob/main/docs/runbooks";
/** Stand-ins for the secrets: the files hold only paths to them, and the tests check the values never appear. */
export const PLACEHOLDER_SECRETS = {
  "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0TEST000/B0TEST000/placeholder-never-rendered",
  "aks-mesh:alertEmailPassword": "placeholder-smtp-password-never-rendered",
};

export interface RenderedAlerting {
  dir: string;
  /** File names inside dir. */
  alertingRules: string;
  recordingRules: string;
  alertmanager: string;
}

/** Builds the observability layer with the e-mail route on (every receiver rendered) and writes its alerting files. */
export async function renderAlerting(dir: string): Promise<RenderedAlerting> {
  const h = await mockRuntime();
  const { Observability } = await import("../../components/observability");
  const raw = {
    // Development: the alerting config under test, not the production guardrails.
    "aks-mesh:environment": "development",
    "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
    // The monitoring host's certificate, declared where the gateway reads it (config ingress.tlsSecrets).
    "aks-mesh:ingress": JSON.stringify({ tlsSecrets: { "example-tls": ["istio-ingress"] } }),
    "aks-mesh:observability": JSON.stringify({
      host: "monitoring.example.com",
      alerts: {
        ...THRESHOLDS,
        runbookBaseUrl: RUNBOOK_BASE,
        email: {
          to: "oncall@example.com",
          from: "alerts@example.com",
          smarthost: "smtp.example.com:587",
          authUsername: "alerts",
        },
      },
    }),
    ...PLACEHOLDER_SECRETS,
  };
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  if (!cfg.observability) throw new Error("observability config expected");
  const { testCluster, testControlPlane, testGateway } = await import("./handles");
  new Observability("obs", {
    config: cfg,
    handles: {
      cluster: testCluster(),
      controlPlane: testControlPlane(),
      gateway: testGateway({
        ...GATEWAY,
        ref: `${GATEWAY.namespace}/public-gateway`,
        selector: { istio: "ingressgateway" },
        expectedAddress: GATEWAY_ADDRESS,
      }),
    },
  });
  await h.settle();
  const release = h.all("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "prometheus");
  if (!release) throw new Error("the prometheus release was not registered");
  const values = release.inputs.values as {
    serverFiles: Record<string, unknown>;
    alertmanager: { config: unknown };
  };
  const files = {
    alertingRules: "alerting_rules.yml",
    recordingRules: "recording_rules.yml",
    alertmanager: "alertmanager.yml",
  };
  fs.writeFileSync(path.join(dir, files.alertingRules), YAML.stringify(values.serverFiles[files.alertingRules]));
  fs.writeFileSync(path.join(dir, files.recordingRules), YAML.stringify(values.serverFiles[files.recordingRules]));
  fs.writeFileSync(path.join(dir, files.alertmanager), YAML.stringify(values.alertmanager.config));
  return { dir, ...files };
}
