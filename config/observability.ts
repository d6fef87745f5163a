// The `aks-mesh:observability` section (Prometheus + Alertmanager, Grafana, Loki + Alloy, Jaeger, Kiali, the
// monitoring host, alerts) and the secret keys it reads. Every default is small on purpose: the hand-built stack was
// over-provisioned and the user cut it by 70%, so these are sized for one small cluster and raised per stack.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
// The tools' Service names and ports: a constants-only module (no imports) that the components and this area share.
import { ENDPOINTS, JAEGER_OTLP_GRPC_PORT } from "../components/observability/paths";
import type { ConfigArea, MeshConfigContributions, Parsed, SecretKey } from "./area";
import type { ingressKeys } from "./ingress";
import type { meshKeys } from "./mesh";
import { dnsLabel, hostName, quantity, quantityValue, resources, whenFieldsValid } from "./primitives";

/** A Prometheus/Loki duration: "30s", "15m", "12h", "7d", "2w". */
export const promDuration = z
  .string()
  .regex(/^[0-9]+(ms|s|m|h|d|w|y)$/, 'must be a duration such as "30s", "12h" or "15d"');

/** A Go duration as Jaeger and Loki read it: "72h", "90m". Days are not Go units. */
const goDuration = z.string().regex(/^[0-9]+(ms|s|m|h)$/, 'must be a duration in hours or minutes such as "72h"');

const url = z.url({ message: "must be a URL" });

/** Grafana login of the read-only account the stack creates for Kiali's dashboard search (reserved). */
export const KIALI_GRAFANA_LOGIN = "kiali";

const exposure = z
  .enum(["none", "open", "jwt"])
  .default("none")
  .describe(
    '"none": not routed (Grafana reaches it in-cluster); "open": routed without authentication (dev only, the ' +
      'policy pack rejects it in prod); "jwt": routed behind the ingress gateway\'s JWT check (exposeAuth).',
  );

/** Jaeger's UI and API have no login of their own either; routed (open) unless a stack says otherwise. */
const jaegerExposure = z
  .enum(["none", "open", "jwt"])
  .default("open")
  .describe(
    '"open": routed at /jaeger without authentication (dev); "jwt": routed behind the ingress gateway\'s JWT check ' +
      "(exposeAuth): a Keycloak access token as bearer, for the API and scripts, while people read traces through " +
      'Grafana and Kiali behind their login; "none": not routed. The pack refuses "open" in prod.',
  );

/** A Keycloak realm URL: the OIDC issuer whose auth, token and userinfo endpoints the tools log in with. */
const keycloakRealm = url.describe("Keycloak realm URL (the OIDC issuer), e.g. https://login.example.com/realms/ops.");

/** Container resources with a default: requests and limits for cpu and memory (the policy pack requires both). */
const sized = (requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }) =>
  resources.default({ requests, limits }).describe("Container requests and limits.");

export const observabilitySection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Deploy the observability layer; false removes every tool (volumes are kept, docs/observability.md "Rolling back this layer").',
      ),
    namespace: dnsLabel
      .default("monitoring")
      .describe("Namespace of every tool and of the monitoring VirtualService, created by the stack."),
    host: hostName.describe("Host name of the monitoring UIs (/kiali, /grafana, /jaeger, ...) on the public Gateway."),
    tls: z
      .strictObject({
        credentialName: dnsLabel.describe("Kubernetes TLS Secret in the gateway namespace."),
        httpsRedirect: z.boolean().default(true).describe("Redirect HTTP to HTTPS."),
      })
      .optional()
      .describe("HTTPS for the monitoring host; omit for HTTP only."),
    storageClass: z
      .string()
      .min(1)
      .optional()
      .describe(
        "StorageClass of every volume (Prometheus, Alertmanager, Grafana, Loki, Jaeger); default the cluster's.",
      ),
    helmTimeoutSeconds: z.int().min(60).max(3600).default(600).describe("Helm release timeout in seconds, per tool."),
    exposeAuth: z
      .strictObject({
        issuer: url.describe("JWT issuer, e.g. the Keycloak realm URL."),
        jwksUri: url.describe("Its JWKS URL."),
      })
      .optional()
      .describe('JWT check of the ingress gateway for tools exposed with "jwt".'),

    prometheus: z
      .strictObject({
        retention: promDuration
          .default("15d")
          .describe("Samples older than this are deleted (storage.tsdb.retention.time)."),
        retentionSize: z
          .string()
          .regex(/^[0-9]+(B|KB|MB|GB|TB)$/, 'must be a size such as "18GB"')
          .default("9GB")
          .describe("Upper bound on the TSDB size (storage.tsdb.retention.size); below storageSize."),
        storageSize: quantity.default("10Gi").describe("Persistent volume of the TSDB."),
        scrapeInterval: promDuration.default("30s").describe("Global scrape and rule evaluation interval."),
        resources: sized({ cpu: "100m", memory: "384Mi" }, { cpu: "1000m", memory: "1536Mi" }),
        expose: exposure,
      })
      .prefault({})
      .describe("Prometheus server (prometheus-community/prometheus chart)."),
    alertmanager: z
      .strictObject({
        storageSize: quantity.default("1Gi").describe("Volume for silences and notification state."),
        resources: sized({ cpu: "10m", memory: "32Mi" }, { cpu: "100m", memory: "128Mi" }),
        expose: exposure,
      })
      .prefault({})
      .describe("Alertmanager (the prometheus chart's alertmanager sub-chart)."),
    kubeStateMetrics: z
      .strictObject({ resources: sized({ cpu: "10m", memory: "48Mi" }, { cpu: "100m", memory: "128Mi" }) })
      .prefault({})
      .describe("kube-state-metrics: Kubernetes object state (deployments, pods, PVCs)."),
    nodeExporter: z
      .strictObject({ resources: sized({ cpu: "10m", memory: "24Mi" }, { cpu: "100m", memory: "64Mi" }) })
      .prefault({})
      .describe("node-exporter: node CPU, memory and disk, one pod per node."),

    grafana: z
      .strictObject({
        adminUser: z
          .string()
          .min(1)
          .refine((login) => login !== KIALI_GRAFANA_LOGIN, {
            message: `"${KIALI_GRAFANA_LOGIN}" is the read-only account the stack creates for Kiali; choose another login`,
          })
          .default("admin")
          .describe("Login of the admin account; its password is generated (docs/observability.md)."),
        storageSize: quantity
          .default("1Gi")
          .describe("Volume for Grafana's database (users, stars, edited dashboards)."),
        resources: sized({ cpu: "25m", memory: "96Mi" }, { cpu: "500m", memory: "256Mi" }),
        anonymousViewer: z
          .boolean()
          .default(false)
          .describe(
            "Let signed-out visitors view dashboards (role Viewer, never Admin). Refused in production stacks (environment).",
          ),
        oauth: z
          .strictObject({
            issuerUri: keycloakRealm,
            clientId: z.string().min(1).describe("OIDC client id (its secret: aks-mesh:grafanaOauthClientSecret)."),
            roleAttributePath: z
              .string()
              .min(1)
              .default(
                "contains(roles[*], 'grafana-admin') && 'Admin' || contains(roles[*], 'grafana-editor') && 'Editor' || " +
                  "'Viewer'",
              )
              .describe(
                "JMESPath over the ID token and userinfo giving the Grafana role (auth.generic_oauth " +
                  "role_attribute_path): a `roles` claim that a mapper of the Keycloak client adds to both (Grafana's " +
                  "Keycloak guide); anyone without a listed role is a Viewer.",
              ),
          })
          .optional()
          .describe(
            "Log in through Keycloak (Grafana generic OAuth, authorization code with PKCE). The admin account stays for " +
              "break-glass use.",
          ),
      })
      .prefault({})
      .describe("Grafana (grafana-community/grafana chart)."),

    loki: z
      .strictObject({
        mode: z
          .enum(["Monolithic", "SimpleScalable"])
          .default("Monolithic")
          .describe(
            '"Monolithic": one StatefulSet on a volume, for one cluster; "SimpleScalable": read/write/backend on ' +
              'object storage (docs/observability.md "Loki: scalable mode").',
          ),
        retention: goDuration.default("168h").describe("Log lines older than this are deleted by the compactor."),
        storageSize: quantity.default("10Gi").describe("Volume of the Monolithic mode."),
        resources: sized({ cpu: "50m", memory: "192Mi" }, { cpu: "1000m", memory: "768Mi" }),
        azure: z
          .strictObject({
            accountName: z
              .string()
              .regex(/^[a-z0-9]{3,24}$/, "must be a storage account name")
              .describe("Storage account."),
            container: dnsLabel.describe("Blob container."),
            accountKeySecret: dnsLabel.describe("Secret in the monitoring namespace with the key AZURE_ACCOUNT_KEY."),
          })
          .optional()
          .describe("Azure Blob storage, required by SimpleScalable mode."),
      })
      .prefault({})
      .describe("Loki (grafana-community/loki chart)."),
    alloy: z
      .strictObject({ resources: sized({ cpu: "25m", memory: "64Mi" }, { cpu: "500m", memory: "256Mi" }) })
      .prefault({})
      .describe("Grafana Alloy, the log shipper: one pod per node tailing every container's log."),

    jaeger: z
      .strictObject({
        storage: z
          .enum(["badger", "memory"])
          .default("badger")
          .describe(
            '"badger": spans on a volume, kept for retention; "memory": the newest maxTraces, lost on restart.',
          ),
        retention: goDuration.default("72h").describe("How long badger keeps spans."),
        storageSize: quantity.default("5Gi").describe("Volume of badger storage."),
        maxTraces: z.int().min(1000).default(50000).describe('Traces kept by "memory" storage.'),
        resources: sized({ cpu: "50m", memory: "128Mi" }, { cpu: "500m", memory: "512Mi" }),
        expose: jaegerExposure,
      })
      .prefault({})
      .describe("Jaeger v2 all-in-one (jaegertracing/jaeger chart)."),

    kiali: z
      .strictObject({
        resources: sized({ cpu: "10m", memory: "64Mi" }, { cpu: "500m", memory: "256Mi" }),
        auth: z
          .enum(["token", "openid"])
          .default("token")
          .describe(
            '"token": log in with a ServiceAccount token (a long-lived one is created, docs/observability.md); "openid": ' +
              "through an OIDC provider such as Keycloak, with openid and aks-mesh:kialiOidcClientSecret. Never " +
              "anonymous: Kiali can change Istio objects.",
          ),
        openid: z
          .strictObject({
            issuerUri: url.describe("Issuer URL, e.g. https://keycloak.example.com/realms/ops."),
            clientId: z.string().min(1).describe("OIDC client id."),
            usernameClaim: z
              .string()
              .min(1)
              .default("preferred_username")
              .describe("Claim holding the user name Kiali shows."),
          })
          .optional()
          .describe('OIDC settings, for auth "openid".'),
        viewOnly: z
          .boolean()
          .default(false)
          .describe(
            "Kiali shows but never changes Istio objects (deployment.view_only_mode). With openid on AKS every login " +
              "acts as Kiali's own ServiceAccount, so production sets it (README: Monitoring login).",
          ),
      })
      .prefault({})
      .describe("Kiali (kiali-server chart)."),

    tracing: z
      .strictObject({
        samplingPercentage: z
          .number()
          .min(0)
          .max(100)
          .default(1)
          .describe("Percentage of requests traced (Telemetry randomSamplingPercentage): dev high, prod low."),
      })
      .prefault({})
      .describe("Mesh tracing: the Telemetry resource's sampling of requests started at sidecars and gateways."),

    alerts: z
      .strictObject({
        slackChannel: z
          .string()
          .regex(/^[#@]?[-\w.]+$/, 'must be a channel such as "#alerts"')
          .default("#alerts")
          .describe("Slack channel the webhook posts to (the URL is the secret aks-mesh:slackWebhookUrl)."),
        email: z
          .strictObject({
            to: z.email({ message: "must be an e-mail address" }).describe("Recipient."),
            from: z.email({ message: "must be an e-mail address" }).describe("Sender."),
            smarthost: z
              .string()
              .regex(/^[-a-z0-9.]+:[0-9]{2,5}$/, 'must be "host:port" such as "smtp.example.com:587"')
              .describe('SMTP relay "host:port".'),
            authUsername: z.string().min(1).optional().describe("SMTP user (password: aks-mesh:alertEmailPassword)."),
          })
          .optional()
          .describe("An optional second route: e-mail for critical alerts."),
        errorRatio: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.05)
          .describe("5xx share of a service's requests that pages (0.05 = 5%)."),
        latencyP99Ms: z.int().min(1).default(1000).describe("p99 latency of a service's requests that warns, in ms."),
        nodeMemoryWarningPercent: z
          .int()
          .min(1)
          .max(100)
          .default(83)
          .describe(
            "Node memory in use (percent of allocatable) that warns; the nodes normally run at 74%, and 83% is already too high.",
          ),
        nodeMemoryCriticalPercent: z
          .int()
          .min(1)
          .max(100)
          .default(92)
          .describe("Node memory in use that is critical: evictions and OOM kills are close."),
        certExpiryDays: z.int().min(1).max(90).default(14).describe("Days before a certificate expires that warns."),
        anomalyZScore: z
          .number()
          .min(1)
          .max(10)
          .default(3)
          .describe("Standard deviations from its weekly baseline a service may drift before the anomaly alert."),
        runbookBaseUrl: url
          .optional()
          .describe("Base URL of docs/runbooks in your Git host; alerts link <base>/<Alert>.md."),
      })
      .prefault({})
      .describe("Alerts as code: thresholds and where notifications go."),
  })
  .superRefine((o, ctx) => {
    const exposedWithJwt = [o.prometheus.expose, o.alertmanager.expose, o.jaeger.expose].includes("jwt");
    if (exposedWithJwt && !o.exposeAuth) {
      ctx.addIssue({ code: "custom", path: ["exposeAuth"], message: 'is required when a tool has expose: "jwt"' });
    }
    if (o.kiali.auth === "openid" && !o.kiali.openid) {
      ctx.addIssue({ code: "custom", path: ["kiali", "openid"], message: 'is required when kiali.auth is "openid"' });
    }
    if (o.loki.mode === "SimpleScalable" && !o.loki.azure) {
      ctx.addIssue({
        code: "custom",
        path: ["loki", "azure"],
        message: 'is required when loki.mode is "SimpleScalable" (that mode needs object storage)',
      });
    }
    if (o.alerts.nodeMemoryCriticalPercent <= o.alerts.nodeMemoryWarningPercent) {
      ctx.addIssue({
        code: "custom",
        path: ["alerts", "nodeMemoryCriticalPercent"],
        message: `must be above nodeMemoryWarningPercent (${o.alerts.nodeMemoryWarningPercent})`,
      });
    }
    const size = quantityValue(o.prometheus.storageSize) ?? 0;
    const bound = Number(/^[0-9]+/.exec(o.prometheus.retentionSize)?.[0]) * unitBytes(o.prometheus.retentionSize);
    if (bound >= size) {
      ctx.addIssue({
        code: "custom",
        path: ["prometheus", "retentionSize"],
        message: `must be below storageSize (${o.prometheus.storageSize}), or the volume fills before retention deletes`,
      });
    }
  }, whenFieldsValid)
  .describe("The observability layer: Prometheus + Alertmanager, Grafana, Loki + Alloy, Jaeger, Kiali, alerts.");
export type ObservabilitySection = z.infer<typeof observabilitySection>;

function unitBytes(size: string): number {
  const unit = /[A-Z]+$/.exec(size)?.[0] ?? "B";
  return { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[unit] ?? 1;
}

/** The secret keys of this layer (`aks-mesh:<key>`), each a Pulumi secret string. */
export const OBSERVABILITY_SECRETS: Readonly<Record<string, SecretKey>> = {
  slackWebhookUrl: {
    description: "Slack incoming-webhook URL Alertmanager posts alerts to (pulumi config set --secret slackWebhookUrl)",
    example: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    check: (v) =>
      /^https:\/\/[^\s/]+\/\S+$/.test(v)
        ? undefined
        : "must be an https:// webhook URL (https://hooks.slack.com/services/...)",
  },
  alertEmailPassword: {
    description: "SMTP password of the e-mail alert route (observability.alerts.email)",
    example: "plan-example-smtp-password",
    check: (v) => (v.length > 0 ? undefined : "must not be empty"),
  },
  kialiOidcClientSecret: {
    description: "Client secret of Kiali's OIDC client, when observability.kiali.auth is openid",
    example: "plan-example-oidc-client-secret",
    check: (v) => (v.length > 0 ? undefined : "must not be empty"),
  },
  grafanaOauthClientSecret: {
    description: "Client secret of Grafana's OIDC client, when observability.grafana.oauth is set",
    example: "plan-example-grafana-oauth-secret",
    check: (v) => (v.length > 0 ? undefined : "must not be empty"),
  },
};

/** The secrets as Outputs marked secret, so they stay encrypted in state and masked in every output. */
export interface ObservabilitySecrets {
  slackWebhookUrl: pulumi.Output<string>;
  alertEmailPassword?: pulumi.Output<string>;
  kialiOidcClientSecret?: pulumi.Output<string>;
  grafanaOauthClientSecret?: pulumi.Output<string>;
}

export type ObservabilityConfig = ObservabilitySection & { readonly secrets: ObservabilitySecrets };

export const observabilityKeys = { observability: observabilitySection.optional() };

/** What the area's rules read: its section, and the hosts and namespaces it must not collide with. */
type ObservabilityInput = Parsed<typeof observabilityKeys> &
  Pick<Parsed<typeof ingressKeys>, "ingress" | "ingressGateway" | "staticIp"> &
  Pick<Parsed<typeof meshKeys>, "meshNamespaces">;

export const observabilityArea: ConfigArea<
  typeof observabilityKeys,
  ObservabilityInput,
  {
    /** The observability layer with its secrets; undefined when the section is absent or enabled: false. */
    observability?: ObservabilityConfig;
  }
> = {
  keys: observabilityKeys,
  secrets: OBSERVABILITY_SECRETS,
  requiredSecrets: ({ observability: o }): Record<string, string> => {
    if (!o?.enabled) return {};
    return {
      slackWebhookUrl:
        "is required when observability is enabled; set it with `pulumi config set --secret slackWebhookUrl <url>`",
      ...(o.kiali.auth === "openid"
        ? { kialiOidcClientSecret: 'is required when observability.kiali.auth is "openid"' }
        : {}),
      ...(o.grafana.oauth
        ? {
            grafanaOauthClientSecret:
              "is required when observability.grafana.oauth is set; set it with `pulumi config set --secret " +
              "grafanaOauthClientSecret <secret>`",
          }
        : {}),
    };
  },
  crossChecks: (root, { key }) => crossChecks(root, key),
  meshConfig: ({ observability: o }) => (o?.enabled ? observabilityMeshConfig(o.namespace) : {}),
  resolve: ({ observability: o }, { secrets }) => {
    if (!o?.enabled) return {};
    const slackWebhookUrl = secrets.slackWebhookUrl;
    // requiredSecrets refused the config without it, so this is only the compiler's proof.
    if (!slackWebhookUrl) throw new Error("observability: slackWebhookUrl was not checked");
    const email = o.alerts.email ? secrets.alertEmailPassword : undefined;
    const oidc = o.kiali.auth === "openid" ? secrets.kialiOidcClientSecret : undefined;
    const grafanaOauth = o.grafana.oauth ? secrets.grafanaOauthClientSecret : undefined;
    return {
      observability: {
        ...o,
        secrets: {
          slackWebhookUrl,
          ...(email ? { alertEmailPassword: email } : {}),
          ...(oidc ? { kialiOidcClientSecret: oidc } : {}),
          ...(grafanaOauth ? { grafanaOauthClientSecret: grafanaOauth } : {}),
        },
      },
    };
  },
};

/** Rules between this section and the others; each message names the key to change. */
function crossChecks(root: ObservabilityInput, key: (path: string) => string): string[] {
  const o = root.observability;
  if (!o?.enabled) return [];
  const others = {
    appHosts: root.ingress.hosts.map((h) => h.host),
    meshNamespaces: root.meshNamespaces.map((n) => n.name),
    gatewayNamespace: root.ingressGateway.namespace,
    dnsZone: root.staticIp.dns?.zoneName,
  };
  const problems: string[] = [];
  if (others.appHosts.includes(o.host)) {
    problems.push(
      `${key("observability.host")}: "${o.host}" is also an application host in ingress.hosts; use its own host name`,
    );
  }
  if (others.meshNamespaces.includes(o.namespace) || o.namespace === others.gatewayNamespace) {
    problems.push(
      `${key("observability.namespace")}: "${o.namespace}" is already a mesh or gateway namespace; the ` +
        "observability layer creates and owns its namespace, so give it one of its own",
    );
  }
  if (others.dnsZone && o.host !== others.dnsZone && !o.host.endsWith(`.${others.dnsZone}`)) {
    problems.push(`${key("observability.host")}: "${o.host}" is not in the DNS zone "${others.dnsZone}"`);
  }
  return problems;
}

/** Name of the tracing extension provider in meshConfig; the mesh-wide Telemetry resource refers to it. */
export const TRACING_PROVIDER = "jaeger";

/**
 * What observability contributes to istiod's meshConfig: the tracing provider, Istio's OpenTelemetry tracer sending
 * OTLP/gRPC to Jaeger's collector port (MeshConfig.ExtensionProvider.opentelemetry {service, port} in Istio 1.23).
 */
function observabilityMeshConfig(namespace: string): Partial<MeshConfigContributions> {
  return {
    extensionProviders: [
      {
        name: TRACING_PROVIDER,
        opentelemetry: {
          service: `${ENDPOINTS.jaeger.service}.${namespace}.svc.cluster.local`,
          port: JAEGER_OTLP_GRPC_PORT,
        },
      },
    ],
  };
}
