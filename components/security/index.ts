export { Security, type SecurityArgs } from "./security";
export { acmeIssuerSpec, certManagerValues, Certificates, type CertificatesArgs } from "./certificates";
export { NetworkPolicies, type NetworkPoliciesArgs } from "./network-policies";
