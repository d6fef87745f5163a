// What other areas need from the Istio control plane. Produced by IstioControlPlane; every area that writes Istio
// objects, labels namespaces or injects pods takes it from `handles.controlPlane` instead of reading config.istio.
import type * as pulumi from "@pulumi/pulumi";
import type { MeshConfigContributions } from "../../config";

export type { MeshConfigContributions } from "../../config";

/** One control-plane revision the stack installs: its name (istio.io/rev) and Istio version. */
export interface InstalledRevision {
  readonly revision: string;
  readonly version: string;
}

export interface ControlPlaneHandle {
  /** Istio version (config istio.version): chart versions and image tag. */
  readonly version: string;
  /**
   * Every revision installed side by side (one today; two during a canary upgrade). What is written for one proxy
   * version (an EnvoyFilter scoped by proxyVersion) is emitted once per distinct version here, so proxies keep it
   * whichever revision injected them.
   */
  readonly revisions: readonly InstalledRevision[];
  /** The control-plane revision (config istio.revision): istiod-<revision> release, Service and injector. */
  readonly revision: string;
  /**
   * The istio.io/rev value namespaces and gateways use to pick their injector: a revision tag when the stack names
   * one (config istio.injectionTag), else the revision itself.
   */
  readonly injectionRevision: string;
  /** istiod's namespace, also the mesh root namespace (config istio.namespace: istio-system; aks-istio-system for the AKS add-on). */
  readonly namespace: string;
  /** "After istiod": CRDs registered, injection and validation webhooks answering. Use as `dependsOn`. */
  readonly ready: pulumi.Resource[];
  /**
   * What other areas contributed to meshConfig (config/<area>.ts `meshConfig` exports, folded into config.istio).
   * Read-only: the control plane renders it into istiod's meshConfig; an area reads it to refer to what it added.
   */
  readonly meshConfig: MeshConfigContributions;
}
