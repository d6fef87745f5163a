import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import type { BaseValues, IstiodValues, MeshExtensionProvider } from "./values";

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
};

/**
 * Whether the base chart renders its CRDs as templates by default: from 1.24 (istio/istio manifests/charts/base,
 * values.yaml `base.enableCRDTemplates: true`; 1.23.4 and before default to false). Either way the CRDs carry
 * `helm.sh/resource-policy: keep` (files/crd-all.gen.yaml), so they survive a delete of the release.
 */
export function crdTemplatesAreDefault(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 1 || minor >= 24;
}

/** Namespace of the control plane; the charts' global.istioNamespace. */
export const ISTIO_NAMESPACE = "istio-system";

export interface IstioControlPlaneArgs {
  /** Istio version: the chart versions and the image tag (config istio.version). */
  version: string;
  /** Control-plane revision (config istio.revision, default "1-23-4" for 1.23.4). */
  revision: string;
  /** Helm repository of the Istio charts (config istio.chartRepository). */
  chartRepository: string;
  /** Image registry (config istio.hub; global.hub). */
  hub: string;
  /** Envoy access log on stdout and its encoding (config istio.accessLog; meshConfig.accessLogFile/Encoding). */
  accessLog: { enabled: boolean; encoding: "TEXT" | "JSON" };
  /** meshConfig.outboundTrafficPolicy.mode (config istio.outboundTrafficPolicy). */
  outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  /** istiod replicas and resources (config istio.pilot). */
  pilot: { minReplicas: number; maxReplicas: number; resources: Resources };
  /** Sidecar resources (config istio.proxy.resources; global.proxy.resources). */
  proxyResources: Resources;
  /** Extra meshConfig.extensionProviders, e.g. the tracing back end. */
  extensionProviders?: MeshExtensionProvider[];
  /** Seconds a release may take to become ready (config istio.helmTimeoutSeconds). */
  timeoutSeconds: number;
}

/**
 * Istio's control plane as two Helm releases, in order: `base` (CRDs, default validating webhook), then `istiod` for
 * one revision. Each release waits until its workloads are ready, so whatever depends on `istiod` (gateways, Istio
 * objects) finds both the CRDs registered and the injection/validation webhooks answering.
 */
export class IstioControlPlane extends pulumi.ComponentResource {
  /** The `base` release: CRDs and the default validating webhook. */
  readonly base: k8s.helm.v3.Release;
  /** The `istiod` release of this revision. */
  readonly istiod: k8s.helm.v3.Release;
  /** The revision; namespaces and gateways select their injector with the label istio.io/rev=<revision>. */
  readonly revision: string;
  /** The Istio version. */
  readonly version: string;
  /** Everything that must be ready before Istio objects or injected pods are created. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:istio:IstioControlPlane", name, {}, opts);
    this.revision = args.revision;
    this.version = args.version;

    const release = {
      version: args.version,
      repositoryOpts: { repo: args.chartRepository },
      namespace: ISTIO_NAMESPACE,
      timeout: args.timeoutSeconds,
      // A failed upgrade rolls back to the previous release instead of leaving a half-applied control plane.
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 10,
    };

    const baseValues: BaseValues = {
      defaultRevision: args.revision,
      ...(crdTemplatesAreDefault(args.version) ? {} : { base: { enableCRDTemplates: true } }),
      global: { istioNamespace: ISTIO_NAMESPACE },
    };
    this.base = new k8s.helm.v3.Release(
      `${name}-base`,
      {
        ...release,
        name: "istio-base",
        chart: "base",
        createNamespace: true,
        // The CRDs come from the templates (enableCRDTemplates) so upgrades update them; they carry
        // helm.sh/resource-policy: keep, so they survive a delete of the release, and with them every Istio object.
        // Installing the chart's crds/ folder as well would make Helm create them twice (1.24+ has no crds/ folder).
        skipCrds: true,
        values: baseValues,
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );

    const istiodValues: IstiodValues = {
      revision: args.revision,
      global: {
        hub: args.hub,
        tag: args.version,
        istioNamespace: ISTIO_NAMESPACE,
        proxy: { resources: args.proxyResources },
        defaultPodDisruptionBudget: { enabled: args.pilot.minReplicas > 1 },
      },
      pilot: {
        autoscaleEnabled: args.pilot.maxReplicas > args.pilot.minReplicas,
        autoscaleMin: args.pilot.minReplicas,
        autoscaleMax: args.pilot.maxReplicas,
        replicaCount: args.pilot.minReplicas,
        resources: args.pilot.resources,
      },
      meshConfig: {
        accessLogFile: args.accessLog.enabled ? "/dev/stdout" : "",
        accessLogEncoding: args.accessLog.encoding,
        ...(args.accessLog.encoding === "JSON" ? { accessLogFormat: JSON.stringify(ACCESS_LOG_JSON_FIELDS) } : {}),
        outboundTrafficPolicy: { mode: args.outboundTrafficPolicy },
        enablePrometheusMerge: true,
        defaultConfig: { holdApplicationUntilProxyStarts: true },
        ...(args.extensionProviders?.length ? { extensionProviders: args.extensionProviders } : {}),
      },
    };
    // A Helm release, not client-side rendered objects (helm.v4.Chart): istiod flips its validating webhook's
    // failurePolicy from Ignore to Fail once it serves, and per-object server-side apply would then conflict with
    // istiod's field manager on every update (pulumi-kubernetes#2210, istio#44285). A release diffs on its inputs only.
    this.istiod = new k8s.helm.v3.Release(
      `${name}-istiod`,
      {
        ...release,
        name: `istiod-${args.revision}`,
        chart: "istiod",
        values: istiodValues,
      },
      { parent: this, dependsOn: [this.base] },
    );

    this.ready = [this.base, this.istiod];
    this.registerOutputs({ revision: this.revision, version: this.version });
  }
}
