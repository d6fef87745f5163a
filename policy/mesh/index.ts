// mesh: the static part of `istioctl analyze` (Istio 1.23.4), one file per kind the analyzers read, and the injection
// rules of Kyverno and the GKE Policy Controller for the namespaces and pods the stack enrols. Each policy is named
// after the check it ports (istNNNN- for istioctl's message codes) and keeps its wording.
import type { AreaPolicy } from "../lib/why";
import {
  ist0107MisplacedAnnotation,
  ist0108UnknownAnnotation,
  ist0125InvalidAnnotation,
  ist0135DeprecatedAnnotation,
  ist0136AlphaAnnotation,
} from "./annotations";
import { ist0116DeploymentServicePorts, ist0144InvalidApplicationUid } from "./deployments";
import { ist0128NoServerCertificateVerification } from "./destination-rules";
import { ist0151EnvoyFilterPatchOperations } from "./envoy-filters";
import {
  ist0138GatewayDuplicateCertificate,
  ist0145ConflictingGateways,
  ist0162GatewayPortNotDefinedOnService,
  ist0166IneffectiveSelector,
} from "./gateways";
import {
  ist0102NamespaceNotInjected,
  ist0123NamespaceMultipleInjectionLabels,
  ist0146ImageAutoWithoutInjection,
} from "./injection";
import { ist0134ServiceEntryAddressesRequired } from "./service-entries";
import { ist0118PortNameIsNotUnderNamingConvention } from "./services";
import { enforceSidecarInjectionNamespace, preventDisablingInjectionPods } from "./sidecar-injection";
import { ist0110ConflictingSidecars, ist0167IneffectivePolicy } from "./sidecars";
import { ist0157InvalidTelemetryProvider, ist0159ConflictingTelemetries } from "./telemetry";
import {
  ist0101ReferencedResourceNotFound,
  ist0112VirtualServiceDestinationPortSelectorRequired,
  ist0132VirtualServiceHostNotFoundInGateway,
  ist0140IngressRouteRulesNotAffected,
  ist0165ReferencedInternalGateway,
} from "./virtual-service-references";
import {
  ist0109ConflictingMeshGatewayVirtualServiceHosts,
  ist0130VirtualServiceUnreachableRule,
  ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
} from "./virtual-service-rules";

export const meshPolicies: AreaPolicy[] = [
  // VirtualServices: what they refer to, then their own hosts and rules
  ist0101ReferencedResourceNotFound,
  ist0112VirtualServiceDestinationPortSelectorRequired,
  ist0132VirtualServiceHostNotFoundInGateway,
  ist0140IngressRouteRulesNotAffected,
  ist0165ReferencedInternalGateway,
  ist0109ConflictingMeshGatewayVirtualServiceHosts,
  ist0130VirtualServiceUnreachableRule,
  ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
  // Gateways
  ist0145ConflictingGateways,
  ist0138GatewayDuplicateCertificate,
  ist0162GatewayPortNotDefinedOnService,
  ist0166IneffectiveSelector,
  // Services, ServiceEntries, DestinationRules, EnvoyFilters, Sidecars, Telemetry
  ist0118PortNameIsNotUnderNamingConvention,
  ist0134ServiceEntryAddressesRequired,
  ist0128NoServerCertificateVerification,
  ist0151EnvoyFilterPatchOperations,
  ist0110ConflictingSidecars,
  ist0167IneffectivePolicy,
  ist0157InvalidTelemetryProvider,
  ist0159ConflictingTelemetries,
  // Deployments and pods
  ist0116DeploymentServicePorts,
  ist0144InvalidApplicationUid,
  // Injection: namespaces and the injector webhooks
  ist0102NamespaceNotInjected,
  ist0123NamespaceMultipleInjectionLabels,
  ist0146ImageAutoWithoutInjection,
  enforceSidecarInjectionNamespace,
  preventDisablingInjectionPods,
  // Annotations
  ist0107MisplacedAnnotation,
  ist0108UnknownAnnotation,
  ist0125InvalidAnnotation,
  ist0135DeprecatedAnnotation,
  ist0136AlphaAnnotation,
];
