import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { meshLabels } from "../shared";
import { GRAFANA_ADMIN_SECRET } from "./grafana";
import { sidecarLabels } from "./mesh";

export interface GrafanaViewerArgs {
  namespace: pulumi.Input<string>;
  /** Grafana login of the account (a service such as Kiali reads dashboards with it). */
  login: string;
  /** Name of the Secret that receives the generated password, under the key `value.txt`. */
  secretName: string;
  /** In-cluster base URL of Grafana, sub-path included (paths.ts internalUrl("grafana", ...)). */
  grafanaUrl: string;
  /** Control-plane revision: the Job runs in the mesh, as Grafana's other clients do. */
  revision: string;
  /** Grafana's release: the Job talks to Grafana's API, so it runs once Grafana is ready. */
  grafana: pulumi.Resource;
}

/** The key Kiali v2.4 reads an override credential from (config/config.go: /kiali-override-secrets/<file>/value.txt). */
export const OVERRIDE_SECRET_KEY = "value.txt";

/** The image the Grafana chart already pulls for its dashboard download (chart 11.6.1 downloadDashboardsImage). */
const CURL_IMAGE = "docker.io/curlimages/curl:8.19.0";
const JOB_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

/**
 * What the Job runs: it makes the Grafana user exist with the generated password and the Viewer role, whatever state
 * Grafana's database is in (create, or reset the password of an existing user). Grafana's HTTP API is the only way to
 * create a user: its provisioning files cover datasources, dashboards, alerting and plugins, not users. Credentials
 * reach curl through a config file, never its command line; the generated password is alphanumeric, so it needs no
 * JSON escaping. The pod has a sidecar: the trap stops it (pilot-agent's /quitquitquit), or the Job never completes.
 */
export const ENSURE_VIEWER_SCRIPT = String.raw`set -eu
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; curl -fsS -X POST http://127.0.0.1:15020/quitquitquit >/dev/null 2>&1 || true' EXIT
printf 'user = "%s:%s"\n' "$ADMIN_USER" "$ADMIN_PASSWORD" > "$tmp"/admin.curlrc
api() { curl -sS -K "$tmp"/admin.curlrc --retry 20 --retry-delay 3 --retry-connrefused -H 'Content-Type: application/json' "$@"; }
user_id() { grep -o '"id":[0-9]*' "$tmp"/user.json | head -n 1 | cut -d: -f2; }
code=$(api -o "$tmp"/user.json -w '%{http_code}' "$GRAFANA_URL/api/users/lookup?loginOrEmail=$VIEWER_LOGIN")
case "$code" in
  200)
    id=$(user_id)
    printf '{"password":"%s"}' "$VIEWER_PASSWORD" > "$tmp"/body.json
    api -f -X PUT --data-binary @"$tmp"/body.json -o /dev/null "$GRAFANA_URL/api/admin/users/$id/password" ;;
  404)
    printf '{"name":"%s","login":"%s","password":"%s"}' "$VIEWER_LOGIN" "$VIEWER_LOGIN" "$VIEWER_PASSWORD" > "$tmp"/body.json
    api -f -X POST --data-binary @"$tmp"/body.json -o "$tmp"/user.json "$GRAFANA_URL/api/admin/users"
    id=$(user_id) ;;
  *) echo "Grafana user lookup answered HTTP $code" >&2; exit 1 ;;
esac
test -n "$id"
api -f -X PATCH --data '{"role":"Viewer"}' -o /dev/null "$GRAFANA_URL/api/org/users/$id"
echo "Grafana user $VIEWER_LOGIN (id $id) has the Viewer role and the current password"
`;

/**
 * A read-only Grafana account for a service, least privilege: the Viewer role in the main org can search and read
 * dashboards (what Kiali's /api/search needs) and change nothing. The admin password never leaves Grafana's own Secret
 * and this one-shot Job. The password is generated (@pulumi/random), a secret in state, and reaches Kubernetes only as
 * the Secret's stringData. The Job is replaced, so it runs again, whenever either Secret changes (their
 * resourceVersion is in its pod template); `pulumi up --replace` on the Job re-creates the user after Grafana's
 * volume was lost.
 */
export class GrafanaViewer extends pulumi.ComponentResource {
  /** The Secret holding the password under `value.txt`. */
  readonly secret: k8s.core.v1.Secret;
  readonly login: string;
  readonly secretName: string;

  constructor(name: string, args: GrafanaViewerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:GrafanaViewer", name, {}, opts);
    this.login = args.login;
    this.secretName = args.secretName;
    const labels = meshLabels("observability");
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    this.secret = new k8s.core.v1.Secret(
      `${name}-password`,
      {
        metadata: { name: args.secretName, namespace: args.namespace, labels },
        type: "Opaque",
        stringData: { [OVERRIDE_SECRET_KEY]: password.result },
      },
      { parent: this },
    );

    const fromSecret = (secret: string, key: string) => ({ valueFrom: { secretKeyRef: { name: secret, key } } });
    const admin = GRAFANA_ADMIN_SECRET;
    new k8s.batch.v1.Job(
      `${name}-ensure`,
      {
        // A Job's pod template is immutable: a changed one replaces the Job, the old one deleted first (same name).
        metadata: { name: `grafana-user-${args.login}`, namespace: args.namespace, labels },
        spec: {
          backoffLimit: 4,
          template: {
            metadata: {
              labels: { ...labels, ...sidecarLabels("grafana", args.revision) },
              annotations: {
                // Grafana is in the mesh; no request leaves before the sidecar is ready.
                "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }),
                "aks-mesh.io/credentials-version": this.secret.metadata.resourceVersion.apply((v) => v ?? ""),
              },
            },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101 },
              containers: [
                {
                  name: "ensure-viewer",
                  image: CURL_IMAGE,
                  command: ["/bin/sh", "-c", ENSURE_VIEWER_SCRIPT],
                  env: [
                    { name: "GRAFANA_URL", value: args.grafanaUrl },
                    { name: "VIEWER_LOGIN", value: args.login },
                    { name: "VIEWER_PASSWORD", ...fromSecret(args.secretName, OVERRIDE_SECRET_KEY) },
                    { name: "ADMIN_USER", ...fromSecret(admin.name, admin.userKey) },
                    { name: "ADMIN_PASSWORD", ...fromSecret(admin.name, admin.passwordKey) },
                  ],
                  resources: JOB_RESOURCES,
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [this.secret, args.grafana], deleteBeforeReplace: true },
    );
    this.registerOutputs({ login: this.login, secretName: this.secretName });
  }
}
