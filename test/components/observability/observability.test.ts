// Assertions read the plan's untyped JSON (release values, Istio specs) by path; typing each path would only restate it.
/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call */
import { kubernetesManifests } from "../../../tools/plan/contract";
import { type Harness, mockRuntime } from "../../harness";
import { parseConfig } from "../../../config";
import { istioDashboardUrls } from "../../../components/observability/grafana";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CR = "kubernetes:networking.istio.io/v1:VirtualService";
const WEBHOOK = "https://hooks.slack.com/services/T0TEST000/B0TEST000/test-webhook-value-never-shown";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:observability": JSON.stringify({
    host: "monitoring.example.com",
    tls: { credentialName: "example-tls" },
    tracing: { samplingPercentage: 2 },
    prometheus: { expose: "jwt" },
    exposeAuth: { issuer: "https://keycloak.example.com/realms/ops", jwksUri: "https://keycloak.example.com/certs" },
  }),
  "aks-mesh:ingress": JSON.stringify({ tlsSecrets: { "example-tls": ["istio-ingress"] } }),
  "aks-mesh:slackWebhookUrl": WEBHOOK,
};

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime();
  const { Observability } = await import("../../../components/observability");
  const k8s = await import("@pulumi/kubernetes");
  const gatewayNamespace = new k8s.core.v1.Namespace("gateway-ns", { metadata: { name: "istio-ingress" } });
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  if (!cfg.observability) throw new Error("observability config expected");
  const { testCluster, testControlPlane, testGateway } = await import("../../support/handles");
  new Observability("obs", {
    config: cfg,
    handles: {
      cluster: testCluster(),
      controlPlane: testControlPlane(),
      gateway: testGateway({
        selector: { istio: "ingressgateway" },
        namespaceReady: [gatewayNamespace],
        expectedAddress: "20.249.144.238",
      }),
    },
  });
  await h.settle();
});

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const release = (name: string) => h.all(RELEASE).find((r) => r.inputs.name === name)!;
const values = (name: string) => release(name).inputs.values as Values;

test.each([
  ["prometheus", "prometheus", "29.27.0", "https://prometheus-community.github.io/helm-charts"],
  ["grafana", "grafana", "11.6.1", "https://grafana-community.github.io/helm-charts"],
  ["loki", "loki", "18.11.0", "https://grafana-community.github.io/helm-charts"],
  ["alloy", "alloy", "1.11.1", "https://grafana.github.io/helm-charts"],
  ["jaeger", "jaeger", "4.11.1", "https://jaegertracing.github.io/helm-charts"],
  ["kiali", "kiali-server", "2.4.0", "https://kiali.org/helm-charts"],
])("pins release %s to chart %s %s from %s", (name, chart, version, repo) => {
  const r = release(name);
  expect(r.inputs.chart).toBe(chart);
  expect(r.inputs.version).toBe(version);
  expect(r.inputs.repositoryOpts).toEqual({ repo });
  expect(r.inputs.namespace).toBe("monitoring");
  expect(r.inputs.atomic).toBe(true);
});

test("serves every routed tool under the path its VirtualService route sends it (fails if one side changes)", () => {
  const vs = h.one(CR).inputs.spec as Values;
  const prefix = (name: string) => vs.http.find((r: Values) => r.name === name)?.match[0].uri.prefix as string;
  const dest = (name: string) => vs.http.find((r: Values) => r.name === name)?.route[0].destination as Values;
  const grafanaIni = values("grafana")["grafana.ini"].server;
  expect(grafanaIni.root_url).toBe(`https://monitoring.example.com${prefix("grafana")}/`);
  expect(grafanaIni.serve_from_sub_path).toBe(true);
  expect(values("kiali").server.web_root).toBe(prefix("kiali"));
  expect(values("jaeger").userconfig.extensions.jaeger_query.base_path).toBe(prefix("jaeger"));
  expect(values("prometheus").server.prefixURL).toBe(prefix("prometheus"));
  // And each route reaches the port the tool listens on.
  expect(dest("kiali").port.number).toBe(20001);
  expect(dest("jaeger").port.number).toBe(
    Number(values("jaeger").userconfig.extensions.jaeger_query.http.endpoint.split(":")[1]),
  );
  expect(dest("grafana").host).toBe("grafana.monitoring.svc.cluster.local");
});

test("routes Prometheus only when exposed, and never Alertmanager when it is not", () => {
  const names = (h.one(CR).inputs.spec as Values).http.map((r: Values) => r.name);
  expect(names).toEqual(["kiali", "grafana", "jaeger", "prometheus", "root"]);
});

test("creates the JWT objects in the gateway namespace after that namespace, and deletes them before it", () => {
  const ns = h.one("kubernetes:core/v1:Namespace", "gateway-ns").urn;
  expect(h.one("kubernetes:security.istio.io/v1:RequestAuthentication").dependsOn).toContain(ns);
  expect(h.one("kubernetes:security.istio.io/v1:AuthorizationPolicy", "obs-routes-require-jwt").dependsOn).toContain(
    ns,
  );
});

test("guards a jwt-exposed Prometheus with a RequestAuthentication and a DENY policy on the gateway", () => {
  const ra = h.one("kubernetes:security.istio.io/v1:RequestAuthentication").inputs as Values;
  expect(ra.spec.jwtRules).toEqual([
    { issuer: "https://keycloak.example.com/realms/ops", jwksUri: "https://keycloak.example.com/certs" },
  ]);
  const ap = h.one("kubernetes:security.istio.io/v1:AuthorizationPolicy").inputs as Values;
  expect(ap.metadata.namespace).toBe("istio-ingress");
  expect(ap.spec.action).toBe("DENY");
  expect(ap.spec.rules[0].from).toEqual([{ source: { notRequestPrincipals: ["*"] } }]);
  // Every path the VirtualService's uri prefix "/prometheus" routes, "/prometheusX" included.
  expect(ap.spec.rules[0].to[0].operation.paths).toEqual(["/prometheus*"]);
});

test("keeps the Slack webhook out of every Helm value, plan record and manifest", () => {
  const all = JSON.stringify(h.resources());
  expect(all).not.toContain(WEBHOOK);
  expect(JSON.stringify(kubernetesManifests(h.resources()))).not.toContain(WEBHOOK);
  const slack = values("prometheus").alertmanager.config.receivers[0].slack_configs[0];
  expect(slack.api_url_file).toBe("/etc/alertmanager/notifiers/slack-webhook-url");
  expect(slack).not.toHaveProperty("api_url");
});

test("hands the webhook to Alertmanager as a secret in a mounted Secret", () => {
  const secret = h.one("kubernetes:core/v1:Secret", "obs-prometheus-notifiers").inputs as Values;
  // The whole stringData travels as a secret: the engine encrypts it in state and masks it in every output.
  expect(secret.stringData).toBe("[secret]");
  expect(values("prometheus").alertmanager.extraSecretMounts).toEqual([
    {
      name: "notifiers",
      mountPath: "/etc/alertmanager/notifiers",
      secretName: "alertmanager-notifiers",
      readOnly: true,
    },
  ]);
});

test("gives Grafana a generated admin password through existingSecret, never in its values", () => {
  expect(h.all("random:index/randomPassword:RandomPassword").map((r) => r.name)).toContain(
    "obs-grafana-admin-password",
  );
  const secret = h.one("kubernetes:core/v1:Secret", "obs-grafana-admin").inputs as Values;
  expect(secret.stringData).toBe("[secret]");
  expect(values("grafana").admin).toEqual({
    existingSecret: "grafana-admin",
    userKey: "admin-user",
    passwordKey: "admin-password",
  });
  expect(JSON.stringify(values("grafana"))).not.toMatch(/adminPassword/);
});

test("keeps Grafana free of anonymous access by default", () => {
  expect(values("grafana")["grafana.ini"]["auth.anonymous"]).toEqual({ enabled: false, org_role: "Viewer" });
});

test("provisions Prometheus, Loki and Jaeger datasources linked trace-to-logs and logs-to-trace", () => {
  const ds = values("grafana").datasources["datasources.yaml"].datasources as Values;
  expect(ds.map((d: Values) => d.type)).toEqual(["prometheus", "loki", "jaeger", "alertmanager"]);
  expect(ds[0].url).toBe("http://prometheus-server.monitoring.svc.cluster.local:80/prometheus");
  expect(ds[1].jsonData.derivedFields[0].datasourceUid).toBe("jaeger");
  expect(ds[2].jsonData.tracesToLogsV2.datasourceUid).toBe("loki");
});

test("provisions the five Istio dashboards of the running Istio version, pinned to its release tag", () => {
  const d = values("grafana").dashboards;
  const base = "https://raw.githubusercontent.com/istio/istio/1.23.4/manifests/addons/dashboards";
  expect(d.istio).toEqual({
    "istio-mesh": { url: `${base}/istio-mesh-dashboard.json` },
    "istio-service": { url: `${base}/istio-service-dashboard.json` },
    "istio-workload": { url: `${base}/istio-workload-dashboard.json` },
    "istio-control-plane": { url: `${base}/pilot-dashboard.gen.json` },
    "istio-performance": { url: `${base}/istio-performance-dashboard.json` },
  });
});

test("follows the dashboards' file names across Istio versions", () => {
  expect(istioDashboardUrls("1.22.8")["istio-control-plane"]).toMatch(/\/1\.22\.8\/.*\/pilot-dashboard\.json$/);
  expect(istioDashboardUrls("1.24.6")["istio-mesh"]).toMatch(/\/istio-mesh-dashboard\.gen\.json$/);
});

test("provisions the overview dashboard joining golden signals and error logs", () => {
  const d = values("grafana").dashboards;
  const overview = JSON.parse(d["aks-mesh"].overview.json);
  expect(overview.panels.map((p: Values) => p.type)).toContain("logs");
});

test("runs Kiali with token login, a stable signing key and a long-lived login token", () => {
  const k = values("kiali");
  expect(k.auth.strategy).toBe("token");
  expect(k.deployment.custom_secrets[0].mount).toBe("/kiali-override-secrets/login-token-signing-key");
  const token = h.one("kubernetes:core/v1:Secret", "obs-kiali-login-token").inputs as Values;
  expect(token.type).toBe("kubernetes.io/service-account-token");
  expect(token.metadata.annotations).toEqual({ "kubernetes.io/service-account.name": "kiali-login" });
  const binding = h.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").inputs as Values;
  expect(binding.roleRef.name).toBe("kiali-viewer");
});

test("wires Kiali to Prometheus, Grafana and Jaeger", () => {
  const ext = values("kiali").external_services;
  expect(ext.prometheus.url).toBe("http://prometheus-server.monitoring.svc.cluster.local:80/prometheus");
  expect(ext.grafana.internal_url).toBe("http://grafana.monitoring.svc.cluster.local:80/grafana");
  expect(ext.tracing.internal_url).toBe("http://jaeger.monitoring.svc.cluster.local:16686/jaeger");
});

test("links Kiali to Grafana dashboards once: external_url is the host root, Grafana's paths carry /grafana", () => {
  const ext = values("kiali").external_services.grafana;
  expect(ext.external_url).toBe("https://monitoring.example.com");
  // Kiali v2.4 joins external_url and the path /api/search returns, which starts with root_url's sub-path.
  const rootUrl = new URL(values("grafana")["grafana.ini"].server.root_url as string);
  const dashboardPath = `${rootUrl.pathname.replace(/\/$/, "")}/d/abc/istio-mesh-dashboard`;
  expect(`${ext.external_url}${dashboardPath}`).toBe(
    "https://monitoring.example.com/grafana/d/abc/istio-mesh-dashboard",
  );
});

test("has Kiali search Grafana with basic auth as the read-only kiali user, no password in its values", () => {
  const grafana = values("kiali").external_services.grafana;
  expect(grafana.auth).toEqual({ type: "basic", username: "kiali" });
  // The chart copies its values into a ConfigMap: the password must only come from the mounted Secret.
  expect(JSON.stringify(values("kiali"))).not.toMatch(/"password"|"token":/);
});

test("mounts the viewer password where Kiali 2.4 reads it, and starts Kiali only once the Secret exists", () => {
  expect(values("kiali").deployment.custom_secrets).toContainEqual({
    name: "kiali-grafana-password",
    mount: "/kiali-override-secrets/grafana-password",
    optional: false,
  });
  const secret = h.one("kubernetes:core/v1:Secret", "obs-kiali-grafana-password");
  expect(release("kiali").dependsOn).toContain(secret.urn);
});

test("keeps the viewer password a generated secret, under the value.txt key Kiali reads", () => {
  expect(h.all("random:index/randomPassword:RandomPassword").map((r) => r.name)).toContain(
    "obs-kiali-grafana-password",
  );
  const secret = h.one("kubernetes:core/v1:Secret", "obs-kiali-grafana-password").inputs as Values;
  expect(secret.metadata).toMatchObject({ name: "kiali-grafana-password", namespace: "monitoring" });
  expect(secret.stringData).toBe("[secret]");
  // The mocked RandomPassword result ("ppp...") appears nowhere in plain text.
  expect(JSON.stringify(h.resources())).not.toContain("p".repeat(32));
});

test("creates the Kiali user in Grafana with a Job that reads both credentials from Secrets, after Grafana", () => {
  const job = h.one("kubernetes:batch/v1:Job", "obs-kiali-grafana-ensure");
  const spec = (job.inputs as Values).spec.template.spec;
  const env = Object.fromEntries(spec.containers[0].env.map((e: Values) => [e.name, e.value ?? e.valueFrom]));
  expect(env).toEqual({
    GRAFANA_URL: "http://grafana.monitoring.svc.cluster.local:80/grafana",
    VIEWER_LOGIN: "kiali",
    VIEWER_PASSWORD: { secretKeyRef: { name: "kiali-grafana-password", key: "value.txt" } },
    ADMIN_USER: { secretKeyRef: { name: "grafana-admin", key: "admin-user" } },
    ADMIN_PASSWORD: { secretKeyRef: { name: "grafana-admin", key: "admin-password" } },
  });
  expect(spec.containers[0].command.join(" ")).toContain('{"role":"Viewer"}');
  expect(job.dependsOn).toContain(release("grafana").urn);
  expect((job.inputs as Values).metadata).toMatchObject({ name: "grafana-user-kiali", namespace: "monitoring" });
});

test("runs the Grafana user Job in the mesh and lets it finish (sidecar waited for, then stopped)", () => {
  const template = (h.one("kubernetes:batch/v1:Job", "obs-kiali-grafana-ensure").inputs as Values).spec.template;
  expect(template.metadata.labels["istio.io/rev"]).toBe("1-23-4");
  expect(JSON.parse(template.metadata.annotations["proxy.istio.io/config"])).toEqual({
    holdApplicationUntilProxyStarts: true,
  });
  expect(template.spec.containers[0].command[2]).toContain("/quitquitquit");
});

test.each([
  ["grafana", (v: Values) => v.podLabels, { "istio.io/rev": "1-23-4" }],
  ["kiali", (v: Values) => v.deployment.pod_labels, { "istio.io/rev": "1-23-4" }],
  ["jaeger", (v: Values) => v.jaeger.podLabels, { "sidecar.istio.io/inject": "false" }],
  ["prometheus", (v: Values) => v.server.podLabels, { "sidecar.istio.io/inject": "false" }],
  ["loki", (v: Values) => v.defaults.podLabels, { "sidecar.istio.io/inject": "false" }],
  ["alloy", (v: Values) => v.controller.podLabels, { "sidecar.istio.io/inject": "false" }],
])("gives %s the sidecar setting of its role", (name, pick, expected) => {
  expect(pick(values(name))).toEqual(expected);
});

test.each(["prometheus", "grafana", "loki", "alloy", "jaeger", "kiali"])("sets requests and limits for %s", (name) => {
  const v = values(name);
  const res = {
    prometheus: v.server?.resources,
    grafana: v.resources,
    loki: v.singleBinary?.resources,
    alloy: v.alloy?.resources,
    jaeger: v.jaeger?.resources,
    kiali: v.deployment?.resources,
  }[name];
  expect(Object.keys(res.requests).sort()).toEqual(["cpu", "memory"]);
  expect(Object.keys(res.limits).sort()).toEqual(["cpu", "memory"]);
});

test("runs Loki as a single binary with retention from config", () => {
  const v = values("loki");
  expect(v.deploymentMode).toBe("Monolithic");
  expect(v.singleBinary.replicas).toBe(1);
  expect(v.loki.limits_config.retention_period).toBe("168h");
  expect(v.loki.compactor.retention_enabled).toBe(true);
});

test("turns tracing on mesh-wide with the configured sampling", () => {
  const t = h.one("kubernetes:telemetry.istio.io/v1:Telemetry").inputs as Values;
  expect(t.metadata).toMatchObject({ name: "mesh-default", namespace: "istio-system" });
  expect(t.spec.tracing).toEqual([{ providers: [{ name: "jaeger" }], randomSamplingPercentage: 2 }]);
});

test("collects every container's logs with namespace, pod and container labels", () => {
  const content = values("alloy").alloy.configMap.content as string;
  for (const label of ["namespace", "pod", "container"]) expect(content).toContain(`target_label = "${label}"`);
  expect(content).toContain('url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"');
});

test("secret config values are Outputs marked secret", async () => {
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  const output = cfg.observability!.secrets.slackWebhookUrl as unknown as { isSecret: Promise<boolean> };
  expect(await output.isSecret).toBe(true);
});
