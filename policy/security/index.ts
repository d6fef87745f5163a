// security: the mTLS rollout, request authentication and authorization, and TLS to destinations. Later, the
// AuthorizationPolicies and NetworkPolicies derived from the service graph (config aks-mesh:services) get their checks here.
import type { AreaPolicy } from "../lib/why";
import { authorizationDryRunAge, injectedNamespaceAuthorizationDefaultDeny } from "./authorization-rollout";
import { asmAuthzPolicyDefaultDeny, authorizationPolicyNoAllowAll } from "./authorization-policy";
import { destinationRuleTlsEnabled } from "./destination-rule-tls";
import { publicGatewayHttpsOnly } from "./gateway-tls";
import { networkPolicyDefaultDeny, networkPolicyEnginePresent } from "./network-policy";
import { mtlsAttestationNotExpired, peerAuthenticationExceptionHasReason } from "./mtls-exceptions";
import { peerAuthenticationSingleMeshWide, peerAuthenticationStrictRequiresMtlsCheck } from "./peer-authentication";
import {
  asmRequestAuthnProhibitedOutputHeaders,
  requestAuthenticationRequiresPrincipalPolicy,
} from "./request-authentication";

export const securityPolicies: AreaPolicy[] = [
  peerAuthenticationStrictRequiresMtlsCheck,
  peerAuthenticationSingleMeshWide,
  mtlsAttestationNotExpired,
  peerAuthenticationExceptionHasReason,
  requestAuthenticationRequiresPrincipalPolicy,
  authorizationPolicyNoAllowAll,
  asmAuthzPolicyDefaultDeny,
  injectedNamespaceAuthorizationDefaultDeny,
  authorizationDryRunAge,
  asmRequestAuthnProhibitedOutputHeaders,
  destinationRuleTlsEnabled,
  publicGatewayHttpsOnly,
  networkPolicyDefaultDeny,
  networkPolicyEnginePresent,
];
