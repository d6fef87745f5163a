import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ChartSource, releaseSettings } from "./release";
import type { BaseValues } from "./values";

/**
 * Whether the base chart renders its CRDs as templates by default: from 1.24 (istio/istio manifests/charts/base,
 * values.yaml `base.enableCRDTemplates: true`; 1.23.4 and before default to false). Either way the CRDs carry
 * `helm.sh/resource-policy: keep` (files/crd-all.gen.yaml), so they survive a delete of the release.
 */
export function crdTemplatesAreDefault(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 1 || minor >= 24;
}

export interface IstioBaseArgs extends ChartSource {
  /**
   * The revision the `istiod-default-validator` webhook sends validation requests to (base.defaultRevision): the
   * stack's current revision (config istio.revision).
   */
  defaultRevision: string;
  /** Old URNs the release answers to, so a refactor never replaces it (the pre-split IstioControlPlane child). */
  releaseAliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
}

/**
 * The cluster-wide half of Istio, once per cluster whatever the number of revisions: the `istio-base` Helm release
 * with the CRDs and the default-revision validating webhook. Every revision's istiod installs after it. Its version is
 * the newest running revision's: CRDs are backward compatible, so base is upgraded first and never downgraded.
 */
export class IstioBase extends pulumi.ComponentResource {
  /** The `istio-base` release. */
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: IstioBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:istio:IstioBase", name, {}, opts);
    const values: BaseValues = {
      defaultRevision: args.defaultRevision,
      ...(crdTemplatesAreDefault(args.version) ? {} : { base: { enableCRDTemplates: true } }),
      global: { istioNamespace: args.namespace },
    };
    this.release = new k8s.helm.v3.Release(
      name,
      {
        ...releaseSettings(args),
        name: "istio-base",
        chart: "base",
        createNamespace: true,
        // The CRDs come from the templates (enableCRDTemplates) so upgrades update them; they carry
        // helm.sh/resource-policy: keep, so they survive a delete of the release, and with them every Istio object.
        // Installing the chart's crds/ folder as well would make Helm create them twice (1.24+ has no crds/ folder).
        skipCrds: true,
        values,
      },
      { parent: this, dependsOn: opts?.dependsOn, ...(args.releaseAliases ? { aliases: args.releaseAliases } : {}) },
    );
    this.registerOutputs({});
  }
}
