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
 * revision, then the revision tags (revision-tags.ts). Each release waits until its workloads are ready, so whatever
 * depends on `ready` (gateways, Istio objects, enrolled namespaces) finds the CRDs registered and the injection and
 * validation webhooks answering.
 *
 * One revision runs today (config istio.revision). A canary upgrade adds a second IstiodRevision beside it (its own
 * name, revision and version; no releaseAliases, which belong to the revision that existed before the split), moves
 * base.defaultRevision and the tags to it when it has proven itself, then removes the old one.
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
  /** The stack's revision (config istio.revision). */
  readonly istiod: IstiodRevision;

  constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every child is a Kubernetes object of this cluster: the provider is set once here, for all of them.
    super(COMPONENT_TYPES.controlPlane, name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const istio = args.config.istio;
    this.version = istio.version;
    this.revision = istio.revision;
    this.revisions = [{ revision: istio.revision, version: istio.version }];
    this.injectionRevision = istio.injectionTag ?? istio.revision;
    this.namespace = istio.namespace;
    this.meshConfig = istio.meshConfig;

    const source = {
      version: istio.version,
      chartRepository: istio.chartRepository,
      namespace: istio.namespace,
      timeoutSeconds: istio.helmTimeoutSeconds,
    };
    // Before the split, both releases were children of this component, named `${name}-base` and `${name}-istiod`:
    // they answer to those URNs, so the refactor updates them in place (test/urns).
    this.base = new IstioBase(
      `${name}-base`,
      { ...source, defaultRevision: istio.revision, releaseAliases: [{ parent: this }] },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.istiod = new IstiodRevision(
      `${name}-istiod-${istio.revision}`,
      {
        ...source,
        revision: istio.revision,
        hub: istio.hub,
        accessLog: istio.accessLog,
        outboundTrafficPolicy: istio.outboundTrafficPolicy,
        pilot: istio.pilot,
        proxyResources: istio.proxy.resources,
        meshConfig: istio.meshConfig,
        releaseAliases: [{ name: `${name}-istiod`, parent: this }],
      },
      { parent: this, dependsOn: [this.base.release] },
    );

    // Tags belong to the control plane, not to a revision: their resource names hold no revision, so pointing a tag
    // at another revision updates it in place. Each waits for its revision's istiod, which fills in its caBundle.
    const tags = istio.revisionTags.map(
      (tag) =>
        new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
          `${name}-tag-${tag}`,
          revisionTagWebhook({ tag, revision: this.istiod.revision, namespace: istio.namespace }),
          { parent: this, dependsOn: [this.istiod.release], ignoreChanges: CA_BUNDLE_PATHS },
        ),
    );

    this.ready = [this.base.release, this.istiod.release, ...tags];
    this.registerOutputs({
      version: this.version,
      revision: this.revision,
      injectionRevision: this.injectionRevision,
      namespace: this.namespace,
    });
  }
}
