export { DnsRecords, type DnsRecordsArgs, relativeRecordName } from "./dns-records";
export type { GatewayHandle } from "./handle";
export { HostRoutes, type HostRoutesArgs, httpRoutes } from "./host-routes";
export { Ingress, type IngressArgs, publicHosts } from "./ingress";
export { AZURE_LB_RESOURCE_GROUP, AZURE_PIP_NAME, IngressGateway, type IngressGatewayArgs } from "./ingress-gateway";
export { type GatewayHost, gatewayServers, PublicGateway, type PublicGatewayArgs } from "./public-gateway";
export {
  type AdoptedRoleAssignment,
  NETWORK_CONTRIBUTOR_ROLE_ID,
  roleAssignmentIdParts,
  STATIC_IP_UNOWNED_PROPERTIES,
  StaticIp,
  type StaticIpArgs,
} from "./static-ip";
