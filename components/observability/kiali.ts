import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Resources } from "../../config";
import { meshLabels } from "../shared";
import { sidecarLabels } from "./mesh";
import { ENDPOINTS, internalUrl } from "./paths";
import { pinnedRelease } from "./release";
import type { KialiValues } from "./values";

export interface KialiArgs {
  namespace: pulumi.Input<string>;
  host: string;
  https: boolean;
  revision: string;
  /** istiod's namespace, the mesh root namespace (the control plane's handle). */
  istioNamespace: string;
  resources: Resources;
  /** observability.kiali.auth: "token" (default) or "openid". Never anonymous. */
  auth: "token" | "openid";
  openid?: { issuerUri: string; clientId: string; usernameClaim: string };
  /** The OIDC client secret (config aks-mesh:kialiOidcClientSecret), with auth "openid". */
  oidcClientSecret?: pulumi.Input<string>;
  /** Whether Jaeger's UI is routed on the monitoring host (observability.jaeger.expose): Kiali links out to it only then. */
  jaegerRouted: boolean;
  /** observability.kiali.viewOnly: deployment.view_only_mode. */
  viewOnly: boolean;
  timeoutSeconds: number;
  /**
   * The read-only Grafana account Kiali searches dashboards with (Kiali calls Grafana's /api/search with
   * external_services.grafana.auth): its login, and the Secret holding its password under value.txt.
   */
  grafanaViewer: { login: string; secretName: string; secret: pulumi.Resource };
}

/**
 * Where Kiali v2.4 reads the Grafana password: config/config.go overrides external_services.grafana.auth.password with
 * /kiali-override-secrets/grafana-password/value.txt when that file exists. kiali-server 2.4.0 has no `secret:`
 * references in values; its deployment.custom_secrets mounts a Secret (volume named after it) at `mount`.
 */
export const GRAFANA_PASSWORD_MOUNT = "/kiali-override-secrets/grafana-password";

/** The chart's ClusterRole for non-anonymous strategies (kiali-server templates/role-viewer.yaml: <instance>-viewer). */
export const KIALI_VIEWER_ROLE = "kiali-viewer";
/** ServiceAccount whose long-lived token is the login for the "token" strategy. */
export const KIALI_LOGIN_ACCOUNT = "kiali-login";
const SIGNING_KEY_SECRET = "kiali-signing-key";

/**
 * Kiali wired to Prometheus, Grafana and Jaeger, served under /kiali, never anonymous. The ServiceAccount-token problem
 * is fixed in two places:
 *   - the login token: `kubectl create token` tokens expire (one hour by default), so the stack creates a
 *     `kiali-login` ServiceAccount bound to the read-only kiali-viewer role and a kubernetes.io/service-account-token
 *     Secret for it, which the API server keeps valid until the Secret is deleted (README "Stack outputs" shows how to read it);
 *   - the session signing key: the chart renders a random one on every upgrade, which logs everyone out and restarts
 *     Kiali; a generated key in a Secret, mounted where Kiali v2 reads override credentials, keeps sessions stable.
 */
export class Kiali extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  /** Name of the Secret holding the long-lived login token ("token" strategy). */
  readonly loginTokenSecret?: string;

  constructor(name: string, args: KialiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:Kiali", name, {}, opts);
    if (args.auth === "openid" && (!args.openid || !args.oidcClientSecret)) {
      throw new Error(`Kiali ${name}: auth "openid" needs openid settings and the client secret`);
    }
    const labels = meshLabels("observability");
    const inNs = (n: string) => ({ name: n, namespace: args.namespace, labels });
    const children: pulumi.Resource[] = [];

    const signingKey = new random.RandomPassword(
      `${name}-signing-key`,
      { length: 32, special: false },
      { parent: this },
    );
    children.push(
      new k8s.core.v1.Secret(
        `${name}-signing-key`,
        { metadata: inNs(SIGNING_KEY_SECRET), type: "Opaque", stringData: { "value.txt": signingKey.result } },
        { parent: this },
      ),
    );
    if (args.auth === "openid" && args.oidcClientSecret) {
      // Kiali reads the OIDC client secret from the Secret named by deployment.secret_name ("kiali"), key oidc-secret.
      children.push(
        new k8s.core.v1.Secret(
          `${name}-oidc`,
          {
            metadata: inNs("kiali"),
            type: "Opaque",
            stringData: { "oidc-secret": pulumi.secret(args.oidcClientSecret) },
          },
          { parent: this },
        ),
      );
    }

    const e = ENDPOINTS.kiali;
    const scheme = args.https ? "https" : "http";
    const values = pulumi.output(args.namespace).apply((namespace): KialiValues => ({
      auth: {
        strategy: args.auth,
        openid:
          args.auth === "openid" && args.openid
            ? {
                client_id: args.openid.clientId,
                issuer_uri: args.openid.issuerUri,
                username_claim: args.openid.usernameClaim,
                // AKS does not trust the Keycloak token, so Kiali queries the cluster with its own ServiceAccount.
                disable_rbac: true,
              }
            : {},
      },
      deployment: {
        // Only when asked: the chart's default is false, and an unchanged release stays unchanged.
        ...(args.viewOnly ? { view_only_mode: true } : {}),
        resources: args.resources,
        pod_labels: sidecarLabels("kiali", args.revision),
        pod_annotations: {},
        custom_secrets: [
          { name: SIGNING_KEY_SECRET, mount: "/kiali-override-secrets/login-token-signing-key", optional: false },
          { name: args.grafanaViewer.secretName, mount: GRAFANA_PASSWORD_MOUNT, optional: false },
        ],
      },
      external_services: {
        custom_dashboards: { enabled: true },
        istio: { root_namespace: args.istioNamespace },
        prometheus: { url: internalUrl("prometheus", namespace) },
        grafana: {
          enabled: true,
          internal_url: internalUrl("grafana", namespace),
          // The host root, not /grafana: Kiali prefixes external_url onto the dashboard path Grafana's /api/search
          // returns, and Grafana already puts its sub-path (root_url) in it (grafana/grafana.go getDashboardPath at
          // Kiali v2.4.0), so /grafana here would link to /grafana/grafana/d/...
          external_url: `${scheme}://${args.host}`,
          // Basic auth as the read-only viewer; the password comes from the mounted Secret, never from these values
          // (the chart copies them into a ConfigMap).
          auth: { type: "basic", username: args.grafanaViewer.login },
          dashboards: [
            { name: "Istio Service Dashboard" },
            { name: "Istio Workload Dashboard" },
            { name: "Istio Mesh Dashboard" },
            { name: "Istio Control Plane Dashboard" },
            { name: "Istio Performance Dashboard" },
          ],
        },
        tracing: {
          enabled: true,
          provider: "jaeger",
          internal_url: internalUrl("jaeger", namespace),
          ...(args.jaegerRouted ? { external_url: `${scheme}://${args.host}${ENDPOINTS.jaeger.path}` } : {}),
          use_grpc: false,
        },
      },
      istio_namespace: args.istioNamespace,
      // Overridden at start by the mounted signing-key Secret; a fixed string keeps the chart from rendering a
      // random key (and a config checksum change) on every upgrade.
      login_token: { signing_key: `secret:${SIGNING_KEY_SECRET}:value.txt` },
      server: { web_root: e.path, web_fqdn: args.host, web_schema: scheme },
    }));
    this.release = pinnedRelease(
      `${name}-release`,
      "kiali",
      { name: e.release, namespace: args.namespace, values, timeoutSeconds: args.timeoutSeconds },
      // The Secrets are mounted with optional: false: the pod cannot start before they exist.
      { parent: this, dependsOn: [...children, args.grafanaViewer.secret] },
    );

    if (args.auth === "token") {
      const account = new k8s.core.v1.ServiceAccount(
        `${name}-login`,
        { metadata: inNs(KIALI_LOGIN_ACCOUNT) },
        { parent: this },
      );
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-login-viewer`,
        {
          metadata: { name: KIALI_LOGIN_ACCOUNT, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: KIALI_VIEWER_ROLE },
          subjects: [{ kind: "ServiceAccount", name: KIALI_LOGIN_ACCOUNT, namespace: args.namespace }],
        },
        // The ClusterRole comes with the release.
        { parent: this, dependsOn: [this.release, account] },
      );
      this.loginTokenSecret = `${KIALI_LOGIN_ACCOUNT}-token`;
      new k8s.core.v1.Secret(
        `${name}-login-token`,
        {
          metadata: {
            ...inNs(this.loginTokenSecret),
            annotations: { "kubernetes.io/service-account.name": KIALI_LOGIN_ACCOUNT },
          },
          // The token controller fills in data.token: it is no input; the provider keeps Secret data encrypted in state.
          type: "kubernetes.io/service-account-token",
        },
        { parent: this, dependsOn: [account] },
      );
    }
    this.registerOutputs({ loginTokenSecret: this.loginTokenSecret });
  }
}
