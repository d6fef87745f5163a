import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfigContributions, Resources } from "../../config";
import { type ChartSource, releaseSettings } from "./release";
import type { IstiodValues } from "./values";

/**
 * Istio's default JSON access log fields (1.23, pilot/pkg/model/telemetry_logging.go EnvoyJSONLogFormatIstio), plus the
 * trace id, so every mesh request's log line links to its trace (Grafana's Loki "TraceID" derived field opens it in
 * Jaeger). Setting accessLogFormat replaces Istio's default, hence the full list.
 */
export const ACCESS_LOG_JSON_FIELDS: Readonly<Record<string, string>> = {
  start_time: "%START_TIME%",
  route_name: "%ROUTE_NAME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration: "%DURATION%",
  upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
  x_forwarded_for: "%REQ(X-FORWARDED-FOR)%",
  user_agent: "%REQ(USER-AGENT)%",
  request_id: "%REQ(X-REQUEST-ID)%",
  authority: "%REQ(:AUTHORITY)%",
  upstream_host: "%UPSTREAM_HOST%",
  upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
  upstream_local_address: "%UPSTREAM_LOCAL_ADDRESS%",
  downstream_local_address: "%DOWNSTREAM_LOCAL_ADDRESS%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  requested_server_name: "%REQUESTED_SERVER_NAME%",
  upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
  // Envoy's TRACE_ID operator (Envoy 1.27+, Istio 1.19+): "-" when the request is not traced.
  trace_id: "%TRACE_ID%",
  // Authorization dry-run results: the RBAC filter writes a dry-run policy's outcome to its dynamic metadata under
  // <shadow stat prefix>shadow_engine_result / shadow_effective_policy_id, the prefixes istio_dry_run_allow_ and
  // istio_dry_run_deny_ (pilot/pkg/security/authz/model/model.go, builder.go; Istio reads the same keys for its trace
  // tags in pilot/pkg/networking/core/tracing.go). "-" when no dry-run policy applies to the request.
  authz_dry_run_allow_result: "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_allow_shadow_engine_result)%",
  authz_dry_run_allow_policy:
    "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_allow_shadow_effective_policy_id)%",
  authz_dry_run_deny_result: "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_deny_shadow_engine_result)%",
  authz_dry_run_deny_policy:
    "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_deny_shadow_effective_policy_id)%",
};

/** The name istiod's chart gives a revision's Helm release, Deployment and Service (istiod-<revision>). */
export function istiodName(revision: string): string {
  return `istiod-${revision}`;
}

export interface IstiodRevisionArgs extends ChartSource {
  /**
   * The revision (chart value `revision`): Helm release, Deployment and Service istiod-<revision>, injector for
   * istio.io/rev=<revision>. Two revisions never share a release name, so a canary runs beside the stable one.
   */
  revision: string;
  /** Image registry (config istio.hub; global.hub). The image tag is `version`. */
  hub: string;
  /** Envoy access log on stdout and its encoding (config istio.accessLog; meshConfig.accessLogFile/Encoding). */
  accessLog: { enabled: boolean; encoding: "TEXT" | "JSON" };
  /** meshConfig.outboundTrafficPolicy.mode (config istio.outboundTrafficPolicy). */
  outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  /** istiod replicas and resources (config istio.pilot). */
  pilot: { minReplicas: number; maxReplicas: number; resources: Resources };
  /** Sidecar resources (config istio.proxy.resources; global.proxy.resources). */
  proxyResources: Resources;
  /** What other areas contribute to meshConfig (config istio.meshConfig, from each area module's export). */
  meshConfig: MeshConfigContributions;
  /**
   * The chart's compatibilityVersion (config istio.revisions[].compatibilityVersion): keep an older minor's defaults
   * (files/profile-compatibility-version-<minor>.yaml) on this revision. Unset: the chart's own defaults.
   */
  compatibilityVersion?: string;
  /** Old URNs the release answers to, so a refactor never replaces it (the pre-split IstioControlPlane child). */
  releaseAliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
}

/**
 * One istiod revision: the `istiod-<revision>` Helm release (istiod, its injection webhook for istio.io/rev=<revision>,
 * its per-revision validating webhook). Install it after IstioBase. Reusable as is for a second, canary revision: give
 * it another name, revision and version; revision tags (IstioControlPlane) then choose which one namespaces use.
 */
export class IstiodRevision extends pulumi.ComponentResource {
  /** The revision. */
  readonly revision: string;
  /** The Istio version this revision runs. */
  readonly version: string;
  /** istiod-<revision>: the release, and the Service the injection webhooks call. */
  readonly serviceName: string;
  /** The `istiod-<revision>` release. */
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: IstiodRevisionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:istio:IstiodRevision", name, {}, opts);
    this.revision = args.revision;
    this.version = args.version;
    this.serviceName = istiodName(args.revision);

    const extensionProviders = [...args.meshConfig.extensionProviders];
    const values: IstiodValues = {
      revision: args.revision,
      ...(args.compatibilityVersion !== undefined ? { compatibilityVersion: args.compatibilityVersion } : {}),
      global: {
        hub: args.hub,
        tag: args.version,
        istioNamespace: args.namespace,
        proxy: { resources: args.proxyResources },
        defaultPodDisruptionBudget: { enabled: args.pilot.minReplicas > 1 },
      },
      pilot: {
        autoscaleEnabled: args.pilot.maxReplicas > args.pilot.minReplicas,
        autoscaleMin: args.pilot.minReplicas,
        autoscaleMax: args.pilot.maxReplicas,
        replicaCount: args.pilot.minReplicas,
        resources: args.pilot.resources,
        ...(Object.keys(args.meshConfig.istiodEnv).length > 0 ? { env: { ...args.meshConfig.istiodEnv } } : {}),
      },
      meshConfig: {
        accessLogFile: args.accessLog.enabled ? "/dev/stdout" : "",
        accessLogEncoding: args.accessLog.encoding,
        ...(args.accessLog.encoding === "JSON" ? { accessLogFormat: JSON.stringify(ACCESS_LOG_JSON_FIELDS) } : {}),
        outboundTrafficPolicy: { mode: args.outboundTrafficPolicy },
        enablePrometheusMerge: true,
        defaultConfig: { holdApplicationUntilProxyStarts: true },
        ...(extensionProviders.length > 0 ? { extensionProviders } : {}),
      },
    };
    // A Helm release, not client-side rendered objects (helm.v4.Chart): istiod flips its validating webhook's
    // failurePolicy from Ignore to Fail once it serves, and per-object server-side apply would then conflict with
    // istiod's field manager on every update (pulumi-kubernetes#2210, istio#44285). A release diffs on its inputs only.
    // Revision tags are not rendered here (chart value revisionTags): see revision-tags.ts.
    this.release = new k8s.helm.v3.Release(
      name,
      { ...releaseSettings(args), name: this.serviceName, chart: "istiod", values },
      { parent: this, dependsOn: opts?.dependsOn, ...(args.releaseAliases ? { aliases: args.releaseAliases } : {}) },
    );
    this.registerOutputs({ revision: this.revision, version: this.version });
  }
}
