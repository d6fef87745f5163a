import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { CHARTS, type Tool } from "./charts";

export interface PinnedReleaseArgs<V> {
  /** Helm release name (the charts derive Service names from it; see paths.ts). */
  name: string;
  namespace: pulumi.Input<string>;
  values: pulumi.Input<V>;
  timeoutSeconds: number;
}

/**
 * A Helm release of one of the pinned charts. A release (not client-side rendered objects) because a release diffs on
 * its inputs only, and because charts such as kiali-server render random defaults that must not churn every preview.
 * A failed upgrade rolls back instead of leaving half a tool.
 */
export function pinnedRelease<V>(
  resourceName: string,
  tool: Tool,
  args: PinnedReleaseArgs<V>,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  const chart = CHARTS[tool];
  return new k8s.helm.v3.Release(
    resourceName,
    {
      name: args.name,
      chart: chart.chart,
      version: chart.version,
      repositoryOpts: { repo: chart.repository },
      namespace: args.namespace,
      values: args.values as pulumi.Input<Record<string, pulumi.Input<unknown>>>,
      timeout: args.timeoutSeconds,
      atomic: true,
      cleanupOnFail: true,
      maxHistory: 5,
    },
    opts,
  );
}
