// Area "security" (components/security, policy/security): the mTLS rollout and its compatibility gate, authorization
// derived from the service graph, JWT at the mesh, NetworkPolicies and TLS on the public hosts. One key,
// `aks-mesh:security`, with one section per concern; each concern's schema, checks and resolved part live in a file of
// this folder and are composed here. Every section is off or observe-only by default and reversed by one config change.
import { z } from "zod";
import type { ConfigArea, Parsed } from "../area";
import type { ingressKeys } from "../ingress";
import type { istioKeys } from "../istio";
import type { meshKeys } from "../mesh";
import type { observabilityKeys } from "../observability";
import { type AuthorizationConfig, authorizationChecks, authorizationSection } from "./authorization";
import { certificatesChecks, certificatesSection, type CertificatesConfig, resolveCertificates } from "./certificates";
import { JWKS_FETCH_ENV, JWKS_FETCH_MODE, type JwtConfig, jwtChecks, jwtSection } from "./jwt";
import { type NetworkPoliciesConfig, networkPoliciesChecks, networkPoliciesSection } from "./network-policies";
import { type MtlsConfig, type MtlsInput, mtlsChecks, mtlsSection, resolveMtls } from "./mtls";

export const securitySection = z
  .strictObject({
    certificates: certificatesSection,
    networkPolicies: networkPoliciesSection,
    authorization: authorizationSection,
    jwt: jwtSection,
    mtls: mtlsSection.optional(),
  })
  .prefault({})
  .describe(
    "Security, one concern per section, each switched per stack and reversed by one config change (README: Security rollout).",
  );

export const securityKeys = { security: securitySection };

/** What the area reads: its own key, the service graph, the public hosts its certificates are for, istiod's namespace. */
export type SecurityInput = Parsed<typeof securityKeys> &
  Pick<Parsed<typeof meshKeys>, "services" | "meshNamespaces"> &
  Pick<Parsed<typeof ingressKeys>, "ingress" | "ingressGateway"> &
  Pick<Parsed<typeof istioKeys>, "istio"> &
  Parsed<typeof observabilityKeys> &
  MtlsInput;

/** The security area's part of the validated config: one resolved part per section. */
export interface SecurityAreaConfig {
  readonly security: {
    /** cert-manager, its issuer and the Certificates; undefined when every certificate is brought. */
    readonly certificates?: CertificatesConfig;
    /** aks-mesh:security.networkPolicies. */
    readonly networkPolicies: NetworkPoliciesConfig;
    /** aks-mesh:security.authorization. */
    readonly authorization: AuthorizationConfig;
    /** aks-mesh:security.jwt. */
    readonly jwt: JwtConfig;
    /** PeerAuthentication modes and the compatibility check; undefined when the section is absent. */
    readonly mtls?: MtlsConfig;
  };
}

export const securityArea: ConfigArea<typeof securityKeys, SecurityInput, SecurityAreaConfig> = {
  keys: securityKeys,
  crossChecks: (root, ctx) => [
    ...certificatesChecks(root, ctx.key),
    ...networkPoliciesChecks(root.security.networkPolicies, root, ctx),
    ...authorizationChecks(root, ctx),
    ...jwtChecks(root, ctx),
    ...mtlsChecks(root.security.mtls, root, ctx),
  ],
  // The JWKS trap's fix (config/security/jwt.ts): proxies fetch an in-mesh JWKS through the mesh.
  meshConfig: (root) =>
    root.security.jwt.rules.length > 0 ? { istiodEnv: { [JWKS_FETCH_ENV]: JWKS_FETCH_MODE } } : {},
  resolve: (root) => {
    const certificates = resolveCertificates(root);
    const mtls = resolveMtls(root.security.mtls, root);
    return {
      security: {
        ...(certificates ? { certificates } : {}),
        networkPolicies: root.security.networkPolicies,
        authorization: root.security.authorization,
        jwt: root.security.jwt,
        ...(mtls ? { mtls } : {}),
      },
    };
  },
};
