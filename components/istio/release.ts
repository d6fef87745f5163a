// What every Istio chart release of this program has in common.

/** Where a chart comes from and where it installs. */
export interface ChartSource {
  /** Istio version: the chart version (config istio.version). */
  version: string;
  /** Helm repository of the Istio charts (config istio.chartRepository). */
  chartRepository: string;
  /** Namespace of the release: the control plane's (config istio.namespace). */
  namespace: string;
  /** Seconds a release may take to become ready (config istio.helmTimeoutSeconds). */
  timeoutSeconds: number;
}

/** Release settings shared by base and every istiod revision. */
export function releaseSettings(source: ChartSource) {
  return {
    version: source.version,
    repositoryOpts: { repo: source.chartRepository },
    namespace: source.namespace,
    timeout: source.timeoutSeconds,
    // A failed upgrade rolls back to the previous release instead of leaving a half-applied control plane.
    atomic: true,
    cleanupOnFail: true,
    maxHistory: 10,
  };
}
