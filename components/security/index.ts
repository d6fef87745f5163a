export { Security, type SecurityArgs } from "./security";
export { acmeIssuerSpec, certManagerValues, Certificates, type CertificatesArgs } from "./certificates";
export { NetworkPolicies, type NetworkPoliciesArgs } from "./network-policies";
export { Mtls, type MtlsArgs } from "./mtls";
export { MtlsCompatibilityCheck, type MtlsCompatibilityCheckArgs } from "./mtls-check";
export { peerAuthentications, type PlannedPeerAuthentication } from "./peer-authentications";
