// Istio's annotation registry, as `istioctl analyze` 1.23.4 reads it: the data of annotation.AllResourceAnnotations()
// in istio.io/api annotation/annotations.gen.go at v1.23.3-0.20241007150425-eb56b2cffca7 (the version istio 1.23.4's
// go.mod pins). Only the fields the analyzers read: the name, the resource types it attaches to ("Any" attaches
// anywhere), whether it is deprecated, and whether it is alpha (FeatureStatus Alpha). `Hidden` is not read by them.
// Written here as data; update it with each Istio minor the pack targets.

export type AnnotationResource =
  "Any" | "AuthorizationPolicy" | "Ingress" | "Namespace" | "Pod" | "Service" | "WorkloadEntry";

export interface IstioAnnotation {
  resources: AnnotationResource[];
  deprecated?: true;
  alpha?: true;
}

const pod = (o: Omit<IstioAnnotation, "resources"> = {}): IstioAnnotation => ({
  resources: ["Pod"],
  alpha: true,
  ...o,
});
const alphaOn = (r: AnnotationResource, o: Omit<IstioAnnotation, "resources"> = {}): IstioAnnotation => ({
  resources: [r],
  alpha: true,
  ...o,
});

export const ISTIO_ANNOTATIONS: Readonly<Record<string, IstioAnnotation>> = {
  "alpha.istio.io/canonical-serviceaccounts": alphaOn("Service", { deprecated: true }),
  "alpha.istio.io/identity": pod({ deprecated: true }),
  "alpha.istio.io/kubernetes-serviceaccounts": alphaOn("Service", { deprecated: true }),
  "galley.istio.io/analyze-suppress": alphaOn("Any"),
  "gateway.istio.io/controller-version": alphaOn("Any"),
  "inject.istio.io/templates": pod(),
  "install.operator.istio.io/chart-owner": alphaOn("Any"),
  "install.operator.istio.io/owner-generation": alphaOn("Any"),
  "install.operator.istio.io/version": alphaOn("Any"),
  "istio.io/autoRegistrationGroup": alphaOn("WorkloadEntry"),
  "istio.io/connectedAt": alphaOn("WorkloadEntry"),
  "istio.io/disconnectedAt": alphaOn("WorkloadEntry"),
  "istio.io/dry-run": alphaOn("AuthorizationPolicy"),
  "istio.io/rev": pod(),
  "istio.io/workloadController": alphaOn("WorkloadEntry"),
  "kubernetes.io/ingress.class": { resources: ["Ingress"] },
  "networking.istio.io/exportTo": alphaOn("Service"),
  "prometheus.istio.io/merge-metrics": pod(),
  "proxy.istio.io/config": { resources: ["Pod"] },
  "proxy.istio.io/overrides": pod(),
  "readiness.status.sidecar.istio.io/applicationPorts": pod(),
  "readiness.status.sidecar.istio.io/failureThreshold": pod(),
  "readiness.status.sidecar.istio.io/initialDelaySeconds": pod(),
  "readiness.status.sidecar.istio.io/periodSeconds": pod(),
  "sidecar.istio.io/agentLogLevel": pod(),
  "sidecar.istio.io/bootstrapOverride": pod(),
  "sidecar.istio.io/componentLogLevel": pod(),
  "sidecar.istio.io/controlPlaneAuthPolicy": pod({ deprecated: true }),
  "sidecar.istio.io/discoveryAddress": pod({ deprecated: true }),
  "sidecar.istio.io/enableCoreDump": pod(),
  "sidecar.istio.io/extraStatTags": pod({ deprecated: true }),
  "sidecar.istio.io/inject": { resources: ["Pod"], deprecated: true },
  "sidecar.istio.io/interceptionMode": pod(),
  "sidecar.istio.io/logLevel": pod(),
  "sidecar.istio.io/proxyCPU": pod(),
  "sidecar.istio.io/proxyCPULimit": pod(),
  "sidecar.istio.io/proxyImage": pod(),
  "sidecar.istio.io/proxyImageType": pod(),
  "sidecar.istio.io/proxyMemory": pod(),
  "sidecar.istio.io/proxyMemoryLimit": pod(),
  "sidecar.istio.io/rewriteAppHTTPProbers": pod(),
  "sidecar.istio.io/statsHistogramBuckets": pod(),
  "sidecar.istio.io/statsInclusionPrefixes": pod({ deprecated: true }),
  "sidecar.istio.io/statsInclusionRegexps": pod({ deprecated: true }),
  "sidecar.istio.io/statsInclusionSuffixes": pod({ deprecated: true }),
  "sidecar.istio.io/status": pod(),
  "sidecar.istio.io/userVolume": pod(),
  "sidecar.istio.io/userVolumeMount": pod(),
  "status.sidecar.istio.io/port": pod(),
  "topology.istio.io/controlPlaneClusters": alphaOn("Namespace"),
  "traffic.istio.io/nodeSelector": { resources: ["Service"] },
  "traffic.sidecar.istio.io/excludeInboundPorts": pod(),
  "traffic.sidecar.istio.io/excludeInterfaces": pod(),
  "traffic.sidecar.istio.io/excludeOutboundIPRanges": pod(),
  "traffic.sidecar.istio.io/excludeOutboundPorts": pod(),
  "traffic.sidecar.istio.io/includeInboundPorts": pod(),
  "traffic.sidecar.istio.io/includeOutboundIPRanges": pod(),
  "traffic.sidecar.istio.io/includeOutboundPorts": pod(),
  "traffic.sidecar.istio.io/kubevirtInterfaces": pod(),
};
