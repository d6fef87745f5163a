// Typed subsets of the Istio chart values this program sets. Helm ignores a misspelled key silently, so every key
// here was checked against the charts' values.yaml (manifests/charts/base and istio-control/istio-discovery) of 1.23.4
// and of the checkedPatch of every later minor in policy/compatibility.ts. Differences across those versions:
// - base.enableCRDTemplates: false by default up to 1.23, true from 1.24 (templates/crds.yaml carries a TODO to drop
//   the flag), so it is set only where it is not the default;
// - istiod's `pilot.*` values moved to the top level in 1.24 (istio/istio#52036); the chart still copies `pilot.*` up
//   (templates/zzy_descope_legacy.yaml, present through 1.30.3), so one layout serves every minor of the table.
import type { MeshExtensionProvider, Resources } from "../../config";

/** Values of the `base` chart (CRDs and the default validating webhook). */
export interface BaseValues {
  /** The revision the `istiod-default-validator` webhook sends validation requests to. */
  defaultRevision: string;
  /** Absent from 1.24 on, where rendering the CRDs as templates is the chart's default. */
  base?: {
    /** Render the CRDs as templates so `helm upgrade` updates them (Helm never upgrades a chart's crds/ folder). */
    enableCRDTemplates: boolean;
  };
  global: { istioNamespace: string };
}

export interface MeshConfigValues {
  /** "/dev/stdout" turns Envoy access logs on; "" turns them off. */
  accessLogFile: string;
  accessLogEncoding: "TEXT" | "JSON";
  /** With JSON encoding: the fields of each access log line (a JSON object of Envoy command operators, as text). */
  accessLogFormat?: string;
  outboundTrafficPolicy: { mode: "ALLOW_ANY" | "REGISTRY_ONLY" };
  /** Merge application and Envoy metrics on the sidecar's :15020/stats/prometheus (Prometheus scrapes one port). */
  enablePrometheusMerge: boolean;
  defaultConfig: {
    /** Start the application container only once Envoy is ready, so its first requests are not refused. */
    holdApplicationUntilProxyStarts: boolean;
  };
  /** Contributed by other areas (ControlPlaneHandle.meshConfig); absent when none is. */
  extensionProviders?: MeshExtensionProvider[];
}

/** Values of the `istiod` chart. */
export interface IstiodValues {
  revision: string;
  /** Renders the chart with an older minor's defaults (1.24+ charts; files/profile-compatibility-version-<minor>.yaml). */
  compatibilityVersion?: string;
  global: {
    hub: string;
    tag: string;
    istioNamespace: string;
    proxy: { resources: Resources };
    /** istiod's PodDisruptionBudget (minAvailable 1). With a single replica it would block every node drain. */
    defaultPodDisruptionBudget: { enabled: boolean };
  };
  pilot: {
    autoscaleEnabled: boolean;
    autoscaleMin: number;
    autoscaleMax: number;
    replicaCount: number;
    resources: Resources;
    /** Extra environment of istiod (pilot.env in 1.23; copied to the top-level env from 1.24 by the chart). */
    env?: Record<string, string>;
  };
  meshConfig: MeshConfigValues;
}
