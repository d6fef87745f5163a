// Typed Istio custom resources. The spec types come from @kubernetes-models/istio (generated from the Istio CRDs), so a
// misspelled field fails to compile instead of being pruned silently by the API server.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { IAuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import type { IEnvoyFilter } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter";
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1/Gateway";
import type { IPeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { IRequestAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication";
import type { IServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import type { ISidecar } from "@kubernetes-models/istio/networking.istio.io/v1/Sidecar";
import type { ITelemetry } from "@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";

/** Spec type of every Istio kind this program writes, at their v1 API (served since Istio 1.22) but EnvoyFilter. */
export interface IstioSpecs {
  Gateway: NonNullable<IGateway["spec"]>;
  VirtualService: NonNullable<IVirtualService["spec"]>;
  DestinationRule: NonNullable<IDestinationRule["spec"]>;
  ServiceEntry: NonNullable<IServiceEntry["spec"]>;
  Sidecar: NonNullable<ISidecar["spec"]>;
  PeerAuthentication: NonNullable<IPeerAuthentication["spec"]>;
  AuthorizationPolicy: NonNullable<IAuthorizationPolicy["spec"]>;
  RequestAuthentication: NonNullable<IRequestAuthentication["spec"]>;
  Telemetry: NonNullable<ITelemetry["spec"]>;
  EnvoyFilter: NonNullable<IEnvoyFilter["spec"]>;
}
export type IstioKind = keyof IstioSpecs;

export const ISTIO_API_VERSIONS: Record<IstioKind, string> = {
  Gateway: "networking.istio.io/v1",
  VirtualService: "networking.istio.io/v1",
  DestinationRule: "networking.istio.io/v1",
  ServiceEntry: "networking.istio.io/v1",
  Sidecar: "networking.istio.io/v1",
  PeerAuthentication: "security.istio.io/v1",
  AuthorizationPolicy: "security.istio.io/v1",
  RequestAuthentication: "security.istio.io/v1",
  Telemetry: "telemetry.istio.io/v1",
  // EnvoyFilter has no v1: it stays v1alpha3 in every Istio release.
  EnvoyFilter: "networking.istio.io/v1alpha3",
};

export interface IstioObjectArgs<K extends IstioKind> {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: pulumi.Input<IstioSpecs[K]>;
}

/**
 * Declares an Istio object as a Pulumi CustomResource with an explicit name (no random suffix: Istio objects are
 * referenced by name, e.g. a VirtualService's gateways). The Pulumi resource name is `resourceName`.
 */
export function istioObject<K extends IstioKind>(
  kind: K,
  resourceName: string,
  args: IstioObjectArgs<K>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: ISTIO_API_VERSIONS[kind],
      kind,
      metadata: {
        name: args.name,
        namespace: args.namespace,
        ...(args.labels ? { labels: args.labels } : {}),
        ...(args.annotations ? { annotations: args.annotations } : {}),
      },
      spec: args.spec,
    },
    opts,
  );
}
