// Monitoring behind the login: what each chart receives when Kiali, Grafana and Jaeger sit behind Keycloak, and that
// the client secrets reach the cluster only as Secrets, never in values, plan records or manifests.
import { kubernetesManifests } from "../../../tools/plan/contract";
import { type Harness, mockRuntime } from "../../harness";
import { parseConfig } from "../../../config";
import { routedTools } from "../../../components/observability/routes";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const REALM = "https://login.example.com/realms/ops";
const KIALI_SECRET = "kiali-client-secret-never-shown";
const GRAFANA_SECRET = "grafana-client-secret-never-shown";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:observability": JSON.stringify({
    host: "monitoring.example.com",
    tls: { credentialName: "example-tls" },
    jaeger: { expose: "jwt" },
    exposeAuth: { issuer: REALM, jwksUri: `${REALM}/protocol/openid-connect/certs` },
    grafana: { oauth: { issuerUri: REALM, clientId: "grafana" } },
    kiali: { auth: "openid", openid: { issuerUri: REALM, clientId: "kiali" }, viewOnly: true },
  }),
  "aks-mesh:ingress": JSON.stringify({ tlsSecrets: { "example-tls": ["istio-ingress"] } }),
  "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0/B0/x",
  "aks-mesh:kialiOidcClientSecret": KIALI_SECRET,
  "aks-mesh:grafanaOauthClientSecret": GRAFANA_SECRET,
};

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime({ secretKeys: ["aks-mesh:kialiOidcClientSecret", "aks-mesh:grafanaOauthClientSecret"] });
  const { Observability } = await import("../../../components/observability");
  const cfg = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  const { testCluster, testControlPlane, testGateway } = await import("../../support/handles");
  new Observability("obs", {
    config: cfg,
    handles: { cluster: testCluster(), controlPlane: testControlPlane(), gateway: testGateway() },
  });
  await h.settle();
});

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const values = (name: string) => h.all(RELEASE).find((r) => r.inputs.name === name)!.inputs.values as Values;

test("gives Grafana Keycloak's OIDC endpoints of the realm, PKCE and the role mapping", () => {
  const ini = values("grafana")["grafana.ini"];
  expect(ini["auth.generic_oauth"]).toMatchObject({
    enabled: true,
    client_id: "grafana",
    auth_url: `${REALM}/protocol/openid-connect/auth`,
    token_url: `${REALM}/protocol/openid-connect/token`,
    api_url: `${REALM}/protocol/openid-connect/userinfo`,
    use_pkce: true,
    allow_sign_up: true,
    role_attribute_path: expect.stringContaining("'grafana-admin') && 'Admin'"),
  });
  expect(ini["auth.generic_oauth"]).not.toHaveProperty("client_secret");
  expect(ini.auth.signout_redirect_url).toBe(
    `${REALM}/protocol/openid-connect/logout?client_id=grafana&post_logout_redirect_uri=` +
      encodeURIComponent("https://monitoring.example.com/grafana/login"),
  );
});

test("hands Grafana its client secret from a Secret through the environment, the Secret existing first", () => {
  expect(values("grafana").envValueFrom).toEqual({
    GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: { secretKeyRef: { name: "grafana-oauth", key: "client-secret" } },
  });
  const secret = h.one("kubernetes:core/v1:Secret", "obs-grafana-oauth");
  // The whole stringData is a secret Output: encrypted in state, "[secret]" in the plan.
  expect(secret.inputs.stringData).toBe("[secret]");
  const grafana = h.all(RELEASE).find((r) => r.inputs.name === "grafana")!;
  expect(grafana.dependsOn).toContain(secret.urn);
});

test("runs Kiali with OpenID, RBAC off (AKS does not trust Keycloak tokens) and view-only", () => {
  const v = values("kiali");
  expect(v.auth).toEqual({
    strategy: "openid",
    openid: { client_id: "kiali", issuer_uri: REALM, username_claim: "preferred_username", disable_rbac: true },
  });
  expect(v.deployment.view_only_mode).toBe(true);
  expect(h.one("kubernetes:core/v1:Secret", "obs-kiali-oidc").inputs.stringData).toBe("[secret]");
});

test("keeps Jaeger behind the gateway's JWT check: its path is in the DENY policy for tokenless requests", () => {
  const deny = h.one("kubernetes:security.istio.io/v1:AuthorizationPolicy", "obs-routes-require-jwt");
  const spec = deny.inputs.spec as Values;
  expect(spec.action).toBe("DENY");
  expect(spec.rules[0].from).toEqual([{ source: { notRequestPrincipals: ["*"] } }]);
  expect(spec.rules[0].to[0].operation.paths).toEqual(["/jaeger*"]);
});

test("routes Jaeger only when exposed", () => {
  expect(routedTools({ prometheus: "none", alertmanager: "none", jaeger: "none" })).toEqual(["kiali", "grafana"]);
  expect(routedTools({ prometheus: "none", alertmanager: "none", jaeger: "open" })).toEqual([
    "kiali",
    "grafana",
    "jaeger",
  ]);
});

test("never lets a client secret reach a Helm value, a plan record or a manifest", () => {
  const everything = JSON.stringify(h.resources()) + JSON.stringify(kubernetesManifests(h.resources()));
  expect(everything).not.toContain(KIALI_SECRET);
  expect(everything).not.toContain(GRAFANA_SECRET);
});
