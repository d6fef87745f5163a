export { DnsRecords, type DnsRecordsArgs, relativeRecordName } from "./dns-records";
export { HostRoutes, type HostRoutesArgs, httpRoutes } from "./host-routes";
export {
  AZURE_LB_RESOURCE_GROUP,
  AZURE_PIP_NAME,
  gatewaySelector,
  IngressGateway,
  type IngressGatewayArgs,
} from "./ingress-gateway";
export { type GatewayHost, gatewayServers, PublicGateway, type PublicGatewayArgs } from "./public-gateway";
export { NETWORK_CONTRIBUTOR_ROLE_ID, StaticIp, type StaticIpArgs } from "./static-ip";
