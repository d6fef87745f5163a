import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CERT_MANAGER_CHART_REPOSITORY, type CertificatesConfig } from "../../config/security/certificates";
import { meshLabels } from "../shared";

/** cert-manager's API group and version of Issuers and Certificates (served since cert-manager 1.0). */
export const CERT_MANAGER_API_VERSION = "cert-manager.io/v1";

/** Istio's opt-out label: a namespace labelled istio-injection=disabled is outside the mesh (policy pack reads it). */
const OUTSIDE_MESH = { "istio-injection": "disabled" };

export interface CertificatesArgs {
  /** The resolved section aks-mesh:security.certificates. */
  config: CertificatesConfig;
  /** Namespace of the gateway workload (GatewayHandle.namespace): the gateway reads its Secrets there only. */
  gatewayNamespace: string;
  /** What objects in the gateway namespace wait for (GatewayHandle.namespaceReady). */
  gatewayNamespaceReady: pulumi.Resource[];
}

/** cert-manager chart values this component sets (checked against jetstack/cert-manager v1.18.6 values.yaml). */
export type CertManagerValues = {
  /** Install the CRDs with the chart, annotated helm.sh/resource-policy: keep so an uninstall leaves them. */
  crds: { enabled: boolean; keep: boolean };
  /** Leader election in the release's namespace instead of the chart's default kube-system. */
  global: { leaderElection: { namespace: string } };
};

/** The chart values: CRDs with the chart and kept, leader election in cert-manager's own namespace. */
export function certManagerValues(namespace: string): CertManagerValues {
  return { crds: { enabled: true, keep: true }, global: { leaderElection: { namespace } } };
}

/** The name of the ClusterIssuer of an ACME directory, e.g. "letsencrypt-staging". */
export function issuerName(server: string): string {
  return server;
}

/**
 * The ClusterIssuer's spec: an ACME account on the directory, solving HTTP-01 with an Ingress of class "istio".
 * `class` sets the kubernetes.io/ingress.class annotation (cert-manager pkg/issuer/acme/http/ingress.go), which istiod
 * serves in its default ingressControllerMode STRICT with ingressClass "istio" (pkg/config/mesh/mesh.go
 * DefaultMeshConfig; pilot/pkg/config/kube/ingress/conversion.go shouldProcessIngressWithClass, 1.23.4 and 1.25.5);
 * `ingressClassName: istio` would also need an IngressClass object, which Istio does not create.
 */
export function acmeIssuerSpec(acme: NonNullable<CertificatesConfig["acme"]>) {
  return {
    acme: {
      server: acme.directory,
      email: acme.email,
      // cert-manager creates the account key in its own namespace; it never passes through this program.
      privateKeySecretRef: { name: `${issuerName(acme.server)}-account-key` },
      solvers: [{ http01: { ingress: { class: "istio" } } }],
    },
  };
}

/**
 * TLS for the public hosts: the cert-manager release (CRDs with the chart, kept on uninstall), the ACME ClusterIssuer,
 * and one Certificate per issued Secret, in the gateway namespace where the Gateway's credentialName is read
 * (istio.io docs/ops/integrations/certmanager: "in the same namespace as the istio-ingressgateway deployment").
 */
export class Certificates extends pulumi.ComponentResource {
  /** The cert-manager release, when the stack installs it. */
  readonly release?: k8s.helm.v3.Release;
  /** The ACME ClusterIssuer, when configured. */
  readonly issuer?: k8s.apiextensions.CustomResource;
  /** Secret name -> its Certificate. */
  readonly certificates: Record<string, k8s.apiextensions.CustomResource> = {};

  constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:Certificates", name, {}, opts);
    const { certManager, acme } = args.config;
    if (args.config.certificates.length > 0 && !acme) {
      throw new Error(`Certificates ${name}: certificates need the ACME issuer (config security.certificates.acme)`);
    }
    const labels = meshLabels("security");

    let crdsReady: pulumi.Resource[] = [];
    if (certManager.install) {
      // Outside the mesh: the API server calls cert-manager's webhook directly, and its controller talks to the ACME
      // directory and to the API server only.
      const ns = new k8s.core.v1.Namespace(
        `${name}-ns`,
        { metadata: { name: certManager.namespace, labels: { ...labels, ...OUTSIDE_MESH } } },
        { parent: this },
      );
      this.release = new k8s.helm.v3.Release(
        `${name}-cert-manager`,
        {
          name: "cert-manager",
          chart: "cert-manager",
          version: certManager.version,
          repositoryOpts: { repo: CERT_MANAGER_CHART_REPOSITORY },
          namespace: certManager.namespace,
          values: certManagerValues(certManager.namespace),
          timeout: certManager.helmTimeoutSeconds,
          // The chart waits for its webhook (startupapicheck): a failed install rolls back instead of half a tool.
          atomic: true,
          cleanupOnFail: true,
          maxHistory: 5,
        },
        { parent: this, dependsOn: [ns] },
      );
      crdsReady = [this.release];
    }

    if (acme) {
      this.issuer = new k8s.apiextensions.CustomResource(
        `${name}-issuer`,
        {
          apiVersion: CERT_MANAGER_API_VERSION,
          kind: "ClusterIssuer",
          metadata: { name: issuerName(acme.server), labels },
          spec: acmeIssuerSpec(acme),
        },
        { parent: this, dependsOn: crdsReady },
      );
      for (const c of args.config.certificates) {
        this.certificates[c.secretName] = new k8s.apiextensions.CustomResource(
          `${name}-${c.secretName}`,
          {
            apiVersion: CERT_MANAGER_API_VERSION,
            kind: "Certificate",
            metadata: { name: c.secretName, namespace: args.gatewayNamespace, labels },
            spec: {
              secretName: c.secretName,
              dnsNames: [...c.dnsNames],
              issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuerName(acme.server) },
            },
          },
          { parent: this, dependsOn: [this.issuer, ...args.gatewayNamespaceReady] },
        );
      }
    }
    this.registerOutputs({ certificates: Object.keys(this.certificates) });
  }
}
