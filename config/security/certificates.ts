// aks-mesh:security.certificates: cert-manager, the ACME ClusterIssuer, and which TLS Secrets of the public hosts it
// issues. A Secret it does not issue is brought by the user (aks-mesh:ingress.tlsSecrets says where it is).
import { z } from "zod";
import { dnsLabel, whenFieldsValid } from "../primitives";

/**
 * The cert-manager release pinned by default. cert-manager 1.18 supports Kubernetes 1.29 → 1.33 (cert-manager.io
 * docs/releases, "Supported Kubernetes / OpenShift Versions"): the one line that covers both prod (Istio 1.23 runs on
 * 1.27–1.30) and dev (1.32); 1.19 starts at 1.31. Move to 1.19+ once every cluster runs Kubernetes 1.31 or later.
 */
export const CERT_MANAGER_VERSION = "v1.18.6";
export const CERT_MANAGER_CHART_REPOSITORY = "https://charts.jetstack.io";

/** Let's Encrypt's ACME directories (letsencrypt.org/docs/staging-environment, /docs/acme-protocol-updates). */
export const ACME_DIRECTORIES = {
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
  "letsencrypt-production": "https://acme-v02.api.letsencrypt.org/directory",
} as const;
export type AcmeServer = keyof typeof ACME_DIRECTORIES;

/**
 * Istio's Kubernetes Ingress support, which serves cert-manager's HTTP-01 solver Ingress, selects gateway pods with
 * `istio=<meshConfig.ingressSelector>`; unset, with ingressService left at "istio-ingressgateway", that is
 * "ingressgateway" (1.23.4 and 1.25.5 pilot/pkg/config/kube/ingress/conversion.go getIngressGatewaySelector).
 */
export const ISTIO_INGRESS_SELECTOR_VALUE = "ingressgateway";

/** The prefix every HTTP-01 challenge is fetched under (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

export const certificatesSection = z
  .strictObject({
    certManager: z
      .strictObject({
        install: z
          .boolean()
          .default(true)
          .describe(
            "Install cert-manager as a Helm release of this stack. false when the cluster already runs one (kubectl " +
              "get crd certificates.cert-manager.io; helm list -A | grep cert-manager): the stack then creates only " +
              "the issuer and the Certificates.",
          ),
        version: z
          .string()
          .regex(/^v\d+\.\d+\.\d+$/, 'must be an exact chart version such as "v1.18.6"')
          .default(CERT_MANAGER_VERSION)
          .describe(
            "Chart version of jetstack/cert-manager. The default (1.18) supports Kubernetes 1.29–1.33, the range " +
              "both an Istio 1.23 cluster and a 1.32 one fall in (cert-manager.io/docs/releases).",
          ),
        namespace: dnsLabel.default("cert-manager").describe("Namespace of the release, created by the stack."),
        helmTimeoutSeconds: z.int().min(60).max(3600).default(600).describe("Helm release timeout in seconds."),
      })
      .prefault({})
      .describe("The cert-manager release (its CRDs installed by the chart and kept when it is uninstalled)."),
    acme: z
      .strictObject({
        server: z
          .enum(Object.keys(ACME_DIRECTORIES) as [AcmeServer, ...AcmeServer[]])
          .describe(
            "Let's Encrypt directory. letsencrypt-staging issues untrusted certificates under far higher rate " +
              "limits (try the path there first); letsencrypt-production issues trusted ones.",
          ),
        email: z.email().describe("ACME account e-mail: Let's Encrypt writes to it about the account's certificates."),
      })
      .optional()
      .describe(
        "The ACME ClusterIssuer (named after server), solving HTTP-01 through the ingress gateway: cert-manager's " +
          "solver Ingress (class istio) is served by Istio's Kubernetes Ingress support on port 80.",
      ),
    issue: z
      .array(dnsLabel)
      .default([])
      .describe(
        "TLS Secrets cert-manager issues in the gateway namespace, by name: each is the tls.credentialName of one or " +
          "more hosts (ingress.hosts, observability.tls), and its Certificate lists those hosts. A Secret listed here " +
          "that already exists is taken over: it keeps serving until the first issuance replaces its contents " +
          "(README: Security rollout, TLS). Needs acme.",
      ),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.issue.forEach((s, i) => {
      if (seen.has(s)) ctx.addIssue({ code: "custom", path: ["issue", i], message: `"${s}" is listed twice` });
      seen.add(s);
    });
    if (c.issue.length > 0 && !c.acme) {
      ctx.addIssue({ code: "custom", path: ["acme"], message: "is required when issue lists a Secret" });
    }
  }, whenFieldsValid)
  .optional()
  .describe("cert-manager and the certificates it issues for the public hosts; omit to bring every certificate.");

export type CertificatesSection = NonNullable<z.output<typeof certificatesSection>>;

/** What the checks read of the other areas: the hosts, the Secrets they name, and the gateway workload. */
export interface CertificatesInput {
  security: { certificates?: CertificatesSection | undefined };
  ingressGateway: { namespace: string; name: string };
  ingress: { hosts: { host: string; tls?: { credentialName: string } | undefined; routes: { prefix: string }[] }[] };
  observability?: { enabled: boolean; host: string; tls?: { credentialName: string } | undefined } | undefined;
}

/** Every host that serves HTTPS, with the key its Secret is named at. */
export function tlsHosts(
  root: Pick<CertificatesInput, "ingress" | "observability">,
): { host: string; secret: string; key: string; routePrefixes: string[] }[] {
  const hosts = root.ingress.hosts.flatMap((h, i) =>
    h.tls
      ? [
          {
            host: h.host,
            secret: h.tls.credentialName,
            key: `ingress.hosts[${i}].tls.credentialName`,
            routePrefixes: h.routes.map((r) => r.prefix),
          },
        ]
      : [],
  );
  const o = root.observability;
  if (o?.enabled && o.tls) {
    hosts.push({
      host: o.host,
      secret: o.tls.credentialName,
      key: "observability.tls.credentialName",
      routePrefixes: [],
    });
  }
  return hosts;
}

/** The TLS Secrets cert-manager issues (empty when the section is absent). */
export function issuedSecrets(root: Pick<CertificatesInput, "security">): ReadonlySet<string> {
  return new Set(root.security.certificates?.issue ?? []);
}

export function certificatesChecks(root: CertificatesInput, k: (path: string) => string): string[] {
  const c = root.security.certificates;
  if (!c || c.issue.length === 0) return [];
  const problems: string[] = [];
  const hosts = tlsHosts(root);
  c.issue.forEach((secret, i) => {
    if (!hosts.some((h) => h.secret === secret)) {
      problems.push(
        `${k(`security.certificates.issue[${i}]`)}: "${secret}" is the tls.credentialName of no host ` +
          `(${k("ingress.hosts")}, ${k("observability.tls")}): its Certificate would name no host; remove it or ` +
          "name it on the hosts it is for.",
      );
    }
  });
  // The solver Ingress is served only by gateway pods labelled istio=ingressgateway (meshConfig.ingressSelector, which
  // this program does not set): the gateway's pods carry istio=<name without "istio-">.
  const gw = root.ingressGateway;
  if (gw.name.replace(/^istio-/, "") !== ISTIO_INGRESS_SELECTOR_VALUE) {
    problems.push(
      `${k("security.certificates.issue")}: HTTP-01 challenges reach cert-manager through Istio's Ingress support, ` +
        `which serves them on gateway pods labelled istio=${ISTIO_INGRESS_SELECTOR_VALUE}; the gateway ` +
        `"${gw.name}" (${k("ingressGateway.name")}) labels its pods istio=${gw.name.replace(/^istio-/, "")}. Name ` +
        'the gateway "istio-ingressgateway", or bring the certificates (ingress.tlsSecrets) instead.',
    );
  }
  // An application route whose prefix covers the challenge path, other than the catch-all "/" (which Istio orders
  // after every other route of the host: pilot/pkg/networking/core/route/route.go SortVHostRoutes), could take the
  // challenge away from the solver on a host served without redirect.
  const issued = issuedSecrets(root);
  for (const h of hosts) {
    if (!issued.has(h.secret)) continue;
    for (const prefix of h.routePrefixes) {
      if (prefix !== "/" && ACME_CHALLENGE_PREFIX.startsWith(prefix)) {
        problems.push(
          `${k(h.key.replace(/tls\.credentialName$/, "routes"))}: the prefix "${prefix}" covers ` +
            `${ACME_CHALLENGE_PREFIX}, where cert-manager answers the HTTP-01 challenge for "${h.host}" ` +
            `(${k("security.certificates.issue")}); route a narrower prefix.`,
        );
      }
    }
  }
  return problems;
}

/** The resolved section: what components/security/certificates.ts builds. */
export interface CertificatesConfig {
  readonly certManager: CertificatesSection["certManager"];
  readonly acme?: { readonly server: AcmeServer; readonly directory: string; readonly email: string };
  /** One Certificate per issued Secret, with every host that names it. */
  readonly certificates: readonly { readonly secretName: string; readonly dnsNames: readonly string[] }[];
}

export function resolveCertificates(
  root: Pick<CertificatesInput, "security" | "ingress" | "observability">,
): CertificatesConfig | undefined {
  const c = root.security.certificates;
  if (!c) return undefined;
  const hosts = tlsHosts(root);
  return {
    certManager: c.certManager,
    ...(c.acme ? { acme: { ...c.acme, directory: ACME_DIRECTORIES[c.acme.server] } } : {}),
    certificates: c.issue.map((secretName) => ({
      secretName,
      dnsNames: [...new Set(hosts.filter((h) => h.secret === secretName).map((h) => h.host))],
    })),
  };
}
