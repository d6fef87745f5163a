import { ConfigError, parseConfig, SECRET_CONFIG_KEYS } from "../../config";

const WEBHOOK = "https://hooks.slack.com/services/T0TEST000/B0TEST000/config-test-value";
// Development: these tests are about the section itself, not the production guardrails (test/config/guardrails.test.ts).
const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
};
const withObs = (obs: unknown, extra: Record<string, string> = { "aks-mesh:slackWebhookUrl": WEBHOOK }) => ({
  ...base,
  "aks-mesh:observability": JSON.stringify(obs),
  ...extra,
});

function problems(raw: Record<string, string>): string {
  try {
    parseConfig(raw, { project: "aks-mesh", stack: "test" });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return "";
}

test("accepts a minimal section and fills small defaults", () => {
  const cfg = parseConfig(withObs({ host: "monitoring.example.com" }), { project: "aks-mesh", stack: "test" });
  expect(cfg.observability?.namespace).toBe("monitoring");
  expect(cfg.observability?.tracing.samplingPercentage).toBe(1);
  expect(cfg.observability?.prometheus.expose).toBe("none");
  expect(cfg.observability?.kiali.auth).toBe("token");
});

test("leaves the layer out when the section is absent or disabled", () => {
  expect(parseConfig(base, { project: "aks-mesh", stack: "t" }).observability).toBeUndefined();
  const off = withObs({ host: "monitoring.example.com", enabled: false }, {});
  expect(parseConfig(off, { project: "aks-mesh", stack: "t" }).observability).toBeUndefined();
});

test.each([
  [
    { host: "monitoring.example.com", tracing: { samplingPercentage: 150 } },
    "aks-mesh:observability.tracing.samplingPercentage",
  ],
  [
    { host: "monitoring.example.com", promethus: {} },
    'aks-mesh:observability.promethus: unknown key; did you mean "prometheus"?',
  ],
  [{ host: "monitoring.example.com", prometheus: { expose: "jwt" } }, "aks-mesh:observability.exposeAuth: is required"],
  [{ host: "monitoring.example.com", kiali: { auth: "openid" } }, "aks-mesh:observability.kiali.openid: is required"],
  [{ host: "monitoring.example.com", jaeger: { expose: "jwt" } }, "aks-mesh:observability.exposeAuth: is required"],
  [
    { host: "monitoring.example.com", loki: { mode: "SimpleScalable" } },
    "aks-mesh:observability.loki.azure: is required",
  ],
  [
    { host: "monitoring.example.com", prometheus: { storageSize: "5Gi", retentionSize: "9GB" } },
    "aks-mesh:observability.prometheus.retentionSize",
  ],
  [{ host: "Monitoring" }, "aks-mesh:observability.host"],
  [
    { host: "monitoring.example.com", grafana: { adminUser: "kiali" } },
    'aks-mesh:observability.grafana.adminUser: "kiali" is the read-only account the stack creates for Kiali',
  ],
])("rejects %j naming the key", (obs, expected) => {
  const msg = problems(withObs(obs));
  expect(msg).toContain(expected);
  expect(msg).toContain('stack "test"');
});

test("requires the Slack webhook when the layer is on", () => {
  expect(problems(withObs({ host: "monitoring.example.com" }, {}))).toContain(
    "aks-mesh:slackWebhookUrl: is required when observability is enabled",
  );
});

test("requires Grafana's OAuth client secret when Grafana logs in through Keycloak", () => {
  const oauth = { issuerUri: "https://login.example.com/realms/ops", clientId: "grafana" };
  expect(problems(withObs({ host: "monitoring.example.com", grafana: { oauth } }))).toContain(
    "aks-mesh:grafanaOauthClientSecret: is required when observability.grafana.oauth is set",
  );
});

test("keeps Jaeger routed, as before, unless a stack says otherwise", () => {
  const cfg = parseConfig(withObs({ host: "monitoring.example.com" }), { project: "aks-mesh", stack: "test" });
  expect(cfg.observability?.jaeger.expose).toBe("open");
});

test("rejects a malformed webhook without ever printing it", () => {
  const msg = problems(
    withObs({ host: "monitoring.example.com" }, { "aks-mesh:slackWebhookUrl": "not-a-url-secret-text" }),
  );
  expect(msg).toContain("aks-mesh:slackWebhookUrl: must be an https:// webhook URL");
  expect(msg).not.toContain("not-a-url-secret-text");
});

test("rejects a monitoring host that is also an application host", () => {
  const raw = {
    ...withObs({ host: "app.example.com" }),
    "aks-mesh:ingress": JSON.stringify({
      hosts: [{ host: "app.example.com", routes: [{ prefix: "/", service: "web" }] }],
    }),
    "aks-mesh:services": JSON.stringify({ web: { namespace: "web", ports: [{ port: 80, protocol: "http" }] } }),
    "aks-mesh:meshNamespaces": JSON.stringify([{ name: "web" }]),
  };
  expect(problems(raw)).toContain('aks-mesh:observability.host: "app.example.com" is also an application host');
});

test("the config module's example webhook passes its own validation (the offline plan relies on it)", () => {
  const example = SECRET_CONFIG_KEYS.slackWebhookUrl!.example;
  expect(SECRET_CONFIG_KEYS.slackWebhookUrl!.check(example)).toBeUndefined();
});
