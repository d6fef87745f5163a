import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig, MeshConfigContributions } from "../../config";
import { COMPONENT_TYPES } from "../../policy/contract";
import type { ClusterHandle } from "../cluster";
import { IstioBase } from "./base";
import type { ControlPlaneHandle, InstalledRevision } from "./handle";
import { IstiodRevision } from "./istiod-revision";
import { CA_BUNDLE_PATHS, revisionTagWebhook } from "./revision-tags";

export interface IstioControlPlaneArgs {
  /** The validated config; the control plane reads its own section, config.istio, only. */
  config: Pick<MeshConfig, "istio">;
  handles: {
    /** The cluster: its Kubernetes provider installs every release and webhook. */
    cluster: Pick<ClusterHandle, "provider">;
  };
}

/**
 * Istio's control plane: IstioBase (CRDs, default-revision validator; once per cluster), then one IstiodRevision per
 * installed revision, then the revision tags (revision-tags.ts). Each release waits until its workloads are ready, so
 * whatever depends on `ready` (gateways, Istio objects, enrolled namespaces) finds the CRDs registered and the
 * injection and validation webhooks answering.
 *
 * A canary upgrade (docs/upgrades.md) lists a second revision beside the stable one (config istio.revisions): the base
 * release moves to the newest listed version first (every istiod waits for it), the new IstiodRevision is created
 * beside the old one, the tags move to it, base.defaultRevision follows the stable role, and the old revision is
 * removed once nothing points at it. Each revision's resource name holds its revision only, so none of this changes
 * the URN of a revision that stays.
 */
export class IstioControlPlane extends pulumi.ComponentResource implements ControlPlaneHandle {
  readonly version: string;
  readonly revisions: readonly InstalledRevision[];
  readonly revision: string;
  readonly injectionRevision: string;
  readonly namespace: string;
  readonly ready: pulumi.Resource[];
  readonly meshConfig: MeshConfigContributions;
  /** CRDs and the default-revision validator. */
  readonly base: IstioBase;
  /** The stable revision (config istio.revision, or the stable entry of istio.revisions). */
  readonly istiod: IstiodRevision;
  /** Every installed revision by name, the stable one included. */
  readonly istiods: Readonly<Record<string, IstiodRevision>>;
  /** Each revision tag's webhook, by tag. */
  readonly tags: Readonly<Record<string, k8s.admissionregistration.v1.MutatingWebhookConfiguration>>;

  constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every child is a Kubernetes object of this cluster: the provider is set once here, for all of them.
    super(COMPONENT_TYPES.controlPlane, name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const istio = args.config.istio;
    this.version = istio.version;
    this.revision = istio.revision;
    this.revisions = istio.revisions.map((r) => ({ revision: r.revision, version: r.version }));
    this.injectionRevision = istio.injectionTag ?? istio.revision;
    this.namespace = istio.namespace;
    this.meshConfig = istio.meshConfig;

    const source = {
      chartRepository: istio.chartRepository,
      namespace: istio.namespace,
      timeoutSeconds: istio.helmTimeoutSeconds,
    };
    // The base chart (and with it the CRDs) runs the newest installed version: CRDs are backward compatible, so the
    // older revisions keep working on them, and a new revision's objects find their new fields. It never moves back:
    // rolling a hop back points namespaces at the old revision and leaves base where it is (docs/upgrades.md).
    const newest = istio.revisions[istio.revisions.length - 1] ?? { version: istio.version };
    // Before the split, both releases were children of this component, named `${name}-base` and `${name}-istiod`:
    // they answer to those URNs, so the refactor updates them in place (test/urns).
    this.base = new IstioBase(
      `${name}-base`,
      { ...source, version: newest.version, defaultRevision: istio.revision, releaseAliases: [{ parent: this }] },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    // The pre-split alias goes to one revision only (two resources may not claim one alias): the oldest installed,
    // which is the one that existed before the split until it is itself removed.
    const oldest = istio.revisions[0]?.revision;
    const istiods: Record<string, IstiodRevision> = {};
    for (const r of istio.revisions) {
      istiods[r.revision] = new IstiodRevision(
        `${name}-istiod-${r.revision}`,
        {
          ...source,
          version: r.version,
          revision: r.revision,
          ...(r.compatibilityVersion !== undefined ? { compatibilityVersion: r.compatibilityVersion } : {}),
          hub: istio.hub,
          accessLog: istio.accessLog,
          outboundTrafficPolicy: istio.outboundTrafficPolicy,
          pilot: istio.pilot,
          proxyResources: istio.proxy.resources,
          meshConfig: istio.meshConfig,
          ...(r.revision === oldest ? { releaseAliases: [{ name: `${name}-istiod`, parent: this }] } : {}),
        },
        // After base: a newer revision's objects may use fields only the newer CRDs have.
        { parent: this, dependsOn: [this.base.release] },
      );
    }
    this.istiods = istiods;
    this.istiod = istiods[istio.revision] as IstiodRevision;

    // Tags belong to the control plane, not to a revision: their resource names hold no revision, so pointing a tag
    // at another revision updates it in place. Each waits for its revision's istiod, which fills in its caBundle.
    const tags: Record<string, k8s.admissionregistration.v1.MutatingWebhookConfiguration> = {};
    for (const { tag, revision } of istio.tags) {
      const target = istiods[revision] as IstiodRevision;
      tags[tag] = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
        `${name}-tag-${tag}`,
        revisionTagWebhook({ tag, revision: target.revision, namespace: istio.namespace }),
        { parent: this, dependsOn: [target.release], ignoreChanges: CA_BUNDLE_PATHS },
      );
    }
    this.tags = tags;

    this.ready = [this.base.release, ...Object.values(istiods).map((i) => i.release), ...Object.values(tags)];
    this.registerOutputs({
      version: this.version,
      revision: this.revision,
      revisions: this.revisions,
      injectionRevision: this.injectionRevision,
      namespace: this.namespace,
    });
  }
}
