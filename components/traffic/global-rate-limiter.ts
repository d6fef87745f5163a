import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import type { GlobalRateLimitConfig } from "../../config/global-rate-limit";
import { RATELIMIT_IMAGE, rateLimitServiceConfig, REDIS_IMAGE } from "../../config/global-rate-limit";
import { GLOBAL_RATE_LIMIT_TYPE } from "../../policy/contract";
import type { GatewayHandle } from "../ingress/handle";
import type { ControlPlaneHandle } from "../istio/handle";
import { istioObject, meshLabels, serviceFqdn } from "../shared";
import type { GatewayHostNames } from "./gateway-names";
import {
  globalRateLimitSpec,
  RATELIMIT_GRPC_PORT,
  RATELIMIT_HTTP_PORT,
  RATELIMIT_SERVICE,
  REDIS_PORT,
  REDIS_SERVICE,
} from "./global-rate-limit";
import { distinctVersions, versionSlug } from "./rate-limits";

export interface GlobalRateLimitArgs {
  /** config traffic.globalRateLimit (enabled; limits checked against ingress.hosts). */
  config: GlobalRateLimitConfig;
  /** Per limited host, its Envoy virtual host and route names (gateway-names.ts). */
  hosts: Readonly<Record<string, GatewayHostNames>>;
  handles: {
    /** `ready` (EnvoyFilter served) and `revisions`: one EnvoyFilter per installed proxy version. */
    controlPlane: ControlPlaneHandle;
    /** The gateway whose pods ask the service: its selector, namespace. */
    gateway: GatewayHandle;
  };
}

/** Where the service reads its config: RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config/*.yaml (src/settings/settings.go). */
const RUNTIME_ROOT = "/data";
const RUNTIME_SUBDIRECTORY = "ratelimit";
const CONFIG_FILE = "config.yaml";
/** The distroless "nonroot" user (newer ratelimit images run as it; the pinned one runs as whatever we say). */
const RATELIMIT_UID = 65532;
/** The redis image's user and group (its Dockerfile: adduser -u 999, addgroup -g 1000). */
const REDIS_UID = 999;
const REDIS_GID = 1000;

const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * Global rate limiting (config traffic.globalRateLimit): a namespace outside the mesh holding Redis and Envoy's
 * ratelimit service, NetworkPolicies letting only the gateway reach the service and only the service reach Redis, and
 * the gateway's EnvoyFilter (one per installed proxy version) that asks it for every limited request.
 *
 * No sidecars, deliberately: the service sits on the path of every limited request, and a sidecar on each side would
 * add two proxy hops to it; the gateway then speaks plaintext gRPC to it (Istio's auto mTLS sends plaintext to a pod
 * without a sidecar), inside the cluster and behind NetworkPolicies. The namespace is labelled
 * istio-injection=disabled, which declares it outside the mesh to the policy pack and the security area (no
 * default-deny AuthorizationPolicy or mesh NetworkPolicies are generated for it; its own are written here).
 *
 * Redis keeps only counters of the current window: no persistence (no RDB, no AOF, no volume). A restarted Redis
 * starts every window from zero, which lets at most one extra window's worth of requests through.
 *
 * Rollback: enabled false. Pulumi deletes the EnvoyFilters first (they depend on the service), then the workloads and
 * the namespace; the gateway stops asking before the service goes.
 */
export class GlobalRateLimit extends pulumi.ComponentResource {
  /** The ratelimit Service's cluster-local host (the gateway's filter names its Istio cluster). */
  readonly serviceHost: string;
  /** "<namespace>/<name>" of every gateway EnvoyFilter (one per installed proxy version). */
  readonly envoyFilters: string[] = [];

  constructor(name: string, args: GlobalRateLimitArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GLOBAL_RATE_LIMIT_TYPE, name, {}, opts);
    const { config: g, handles } = args;
    const ns = g.namespace;
    const labels = (app: string) => meshLabels("traffic", { app });
    const selector = (app: string) => ({ app });
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      // Outside the mesh, declared so (Istio's opt-out label; the pack's injection checks read it).
      { metadata: { name: ns, labels: { ...meshLabels("traffic"), "istio-injection": "disabled" } } },
      { parent: this },
    );
    const inNs = { parent: this, dependsOn: [namespace] };

    // NetworkPolicies: nothing reaches these pods but the gateway (to the service's gRPC port) and the service (to Redis).
    const allow = (policy: string, app: string, port: number, from: k8s.types.input.networking.v1.NetworkPolicyPeer) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-np-${policy}`,
        {
          metadata: { name: policy, namespace: ns, labels: meshLabels("traffic") },
          spec: {
            podSelector: { matchLabels: selector(app) },
            policyTypes: ["Ingress"],
            ingress: [{ from: [from], ports: [{ protocol: "TCP", port }] }],
          },
        },
        inNs,
      );
    const policies = [
      new k8s.networking.v1.NetworkPolicy(
        `${name}-np-default-deny`,
        {
          metadata: { name: "default-deny", namespace: ns, labels: meshLabels("traffic") },
          spec: { podSelector: {}, policyTypes: ["Ingress"] },
        },
        inNs,
      ),
      allow("allow-ingress-gateway", RATELIMIT_SERVICE, RATELIMIT_GRPC_PORT, {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": handles.gateway.namespace } },
        podSelector: { matchLabels: { ...handles.gateway.selector } },
      }),
      allow("allow-ratelimit", REDIS_SERVICE, REDIS_PORT, {
        podSelector: { matchLabels: selector(RATELIMIT_SERVICE) },
      }),
    ];

    const redis = new k8s.apps.v1.Deployment(
      `${name}-redis`,
      {
        metadata: { name: REDIS_SERVICE, namespace: ns, labels: labels(REDIS_SERVICE) },
        spec: {
          // One instance: two would each count half the requests. Its loss fails the limiter open (failureModeDeny).
          replicas: 1,
          selector: { matchLabels: selector(REDIS_SERVICE) },
          template: {
            metadata: { labels: labels(REDIS_SERVICE) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: REDIS_UID,
                runAsGroup: REDIS_GID,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "redis",
                  image: `${REDIS_IMAGE}:${g.images.redis.tag}@${g.images.redis.digest}`,
                  // Counters only: no snapshots, no append-only file.
                  args: ["redis-server", "--save", "", "--appendonly", "no"],
                  ports: [{ name: "redis", containerPort: REDIS_PORT }],
                  readinessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 5 },
                  livenessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 10, failureThreshold: 6 },
                  resources: g.resources.redis,
                  securityContext: restricted,
                  // The image's WORKDIR; nothing is persisted, but Redis may write a temporary file there.
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", emptyDir: {} }],
            },
          },
        },
      },
      inNs,
    );
    const redisService = new k8s.core.v1.Service(
      `${name}-redis-svc`,
      {
        metadata: { name: REDIS_SERVICE, namespace: ns, labels: labels(REDIS_SERVICE) },
        spec: {
          selector: selector(REDIS_SERVICE),
          ports: [{ name: "tcp-redis", port: REDIS_PORT, targetPort: REDIS_PORT, appProtocol: "redis" }],
        },
      },
      inNs,
    );

    const serviceConfig = rateLimitServiceConfig(g.domain, g.limits);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      {
        metadata: { name: `${RATELIMIT_SERVICE}-config`, namespace: ns, labels: labels(RATELIMIT_SERVICE) },
        data: { [CONFIG_FILE]: YAML.stringify(serviceConfig) },
      },
      inNs,
    );
    if (g.images.ratelimit.digest === undefined) {
      // Production refuses this in config; elsewhere it is said where the operator looks.
      void pulumi.log.warn(
        `The ratelimit image is pulled by tag only (${RATELIMIT_IMAGE}:${g.images.ratelimit.tag}): set ` +
          "aks-mesh:traffic.globalRateLimit.images.ratelimit.digest (docker buildx imagetools inspect).",
        this,
      );
    }
    const image = g.images.ratelimit.digest
      ? `${RATELIMIT_IMAGE}:${g.images.ratelimit.tag}@${g.images.ratelimit.digest}`
      : `${RATELIMIT_IMAGE}:${g.images.ratelimit.tag}`;
    const env: Record<string, string> = {
      LOG_LEVEL: "warn",
      REDIS_SOCKET_TYPE: "tcp",
      REDIS_URL: `${serviceFqdn(REDIS_SERVICE, ns)}:${REDIS_PORT}`,
      USE_STATSD: "false",
      RUNTIME_ROOT,
      RUNTIME_SUBDIRECTORY,
      // Watch the config directory itself: a ConfigMap update swaps a symlink under it, and the service reloads.
      RUNTIME_WATCH_ROOT: "false",
      // The ConfigMap volume's ..data entries are not config files.
      RUNTIME_IGNOREDOTFILES: "true",
    };
    const ratelimit = new k8s.apps.v1.Deployment(
      `${name}-ratelimit`,
      {
        metadata: { name: RATELIMIT_SERVICE, namespace: ns, labels: labels(RATELIMIT_SERVICE) },
        spec: {
          replicas: g.replicas,
          selector: { matchLabels: selector(RATELIMIT_SERVICE) },
          template: {
            metadata: { labels: labels(RATELIMIT_SERVICE) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: RATELIMIT_UID,
                runAsGroup: RATELIMIT_UID,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "ratelimit",
                  image,
                  command: ["/bin/ratelimit"],
                  env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
                  ports: [
                    { name: "grpc", containerPort: RATELIMIT_GRPC_PORT },
                    { name: "http", containerPort: RATELIMIT_HTTP_PORT },
                  ],
                  readinessProbe: { httpGet: { path: "/healthcheck", port: RATELIMIT_HTTP_PORT }, periodSeconds: 5 },
                  livenessProbe: {
                    httpGet: { path: "/healthcheck", port: RATELIMIT_HTTP_PORT },
                    periodSeconds: 10,
                    failureThreshold: 6,
                  },
                  resources: g.resources.ratelimit,
                  securityContext: restricted,
                  volumeMounts: [
                    { name: "config", mountPath: `${RUNTIME_ROOT}/${RUNTIME_SUBDIRECTORY}/config`, readOnly: true },
                  ],
                },
              ],
              volumes: [{ name: "config", configMap: { name: configMap.metadata.name } }],
            },
          },
        },
      },
      { parent: this, dependsOn: [namespace, redisService] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-ratelimit-svc`,
      {
        metadata: { name: RATELIMIT_SERVICE, namespace: ns, labels: labels(RATELIMIT_SERVICE) },
        spec: {
          selector: selector(RATELIMIT_SERVICE),
          // appProtocol grpc: Istio builds the gateway's cluster for this port as HTTP/2, which Envoy's gRPC needs.
          ports: [{ name: "grpc", port: RATELIMIT_GRPC_PORT, targetPort: RATELIMIT_GRPC_PORT, appProtocol: "grpc" }],
        },
      },
      inNs,
    );
    // With two or more replicas, a node drain takes one at a time, so the gateway always has a service to ask.
    const disruption =
      g.replicas >= 2
        ? [
            new k8s.policy.v1.PodDisruptionBudget(
              `${name}-ratelimit-pdb`,
              {
                metadata: { name: RATELIMIT_SERVICE, namespace: ns, labels: labels(RATELIMIT_SERVICE) },
                spec: { maxUnavailable: 1, selector: { matchLabels: selector(RATELIMIT_SERVICE) } },
              },
              inNs,
            ),
          ]
        : [];
    this.serviceHost = serviceFqdn(RATELIMIT_SERVICE, ns);

    const gw = handles.gateway;
    for (const version of distinctVersions(handles.controlPlane.revisions)) {
      const efName = `${gw.name}-global-ratelimit-${versionSlug(version)}`;
      istioObject(
        "EnvoyFilter",
        `${name}-ef-${versionSlug(version)}`,
        {
          name: efName,
          namespace: gw.namespace,
          labels: meshLabels("traffic"),
          spec: globalRateLimitSpec(gw.selector, version, g, args.hosts),
        },
        // After the service is up (Pulumi awaits the Deployment), so the gateway never asks a service that is not
        // there yet; and, on rollback, deleted before it.
        {
          parent: this,
          dependsOn: [
            ...handles.controlPlane.ready,
            ...gw.namespaceReady,
            ratelimit,
            service,
            redis,
            ...policies,
            ...disruption,
          ],
        },
      );
      this.envoyFilters.push(`${gw.namespace}/${efName}`);
    }
    this.registerOutputs({ serviceHost: this.serviceHost, envoyFilters: this.envoyFilters });
  }
}
