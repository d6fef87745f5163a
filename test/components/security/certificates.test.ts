// What the certificates concern sends: the pinned cert-manager release with its CRDs kept, the ACME ClusterIssuer that
// solves HTTP-01 through Istio's Ingress support, and each Certificate in the gateway namespace, in that order.
import { type Harness, mockRuntime } from "../../harness";
import type * as Security from "../../../components/security";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";
const NAMESPACE = "kubernetes:core/v1:Namespace";

const certManager = { install: true, version: "v1.18.6", namespace: "cert-manager", helmTimeoutSeconds: 600 };
const acme = {
  server: "letsencrypt-staging" as const,
  directory: "https://acme-staging-v02.api.letsencrypt.org/directory",
  email: "platform@example.com",
};

let h: Harness;

beforeAll(async () => {
  h = await mockRuntime();
  const security: typeof Security = await import("../../../components/security");
  new security.Certificates("installed", {
    config: {
      certManager,
      acme,
      certificates: [{ secretName: "shop-tls", dnsNames: ["shop.example.com", "monitoring.example.com"] }],
    },
    gatewayNamespace: "istio-ingress",
    gatewayNamespaceReady: [],
  });
  new security.Certificates("existing", {
    config: { certManager: { ...certManager, install: false }, acme, certificates: [] },
    gatewayNamespace: "istio-ingress",
    gatewayNamespaceReady: [],
  });
  await h.settle();
});

describe("the cert-manager release", () => {
  test("is the pinned jetstack chart, installing its CRDs and keeping them when uninstalled", () => {
    expect(h.one(RELEASE, "installed-cert-manager").inputs).toMatchObject({
      chart: "cert-manager",
      version: "v1.18.6",
      repositoryOpts: { repo: "https://charts.jetstack.io" },
      namespace: "cert-manager",
      values: { crds: { enabled: true, keep: true }, global: { leaderElection: { namespace: "cert-manager" } } },
      atomic: true,
    });
  });

  test("runs in a namespace declared outside the mesh", () => {
    const ns = h.one(NAMESPACE, "installed-ns");
    expect(ns.inputs.metadata).toMatchObject({ name: "cert-manager", labels: { "istio-injection": "disabled" } });
    expect(h.one(RELEASE, "installed-cert-manager").dependsOn).toContain(ns.urn);
  });

  test("is not installed when the cluster already runs cert-manager (certManager.install false)", () => {
    expect(h.all(RELEASE).map((r) => r.name)).toEqual(["installed-cert-manager"]);
    expect(h.one(ISSUER, "existing-issuer").dependsOn).toEqual([]);
  });
});

describe("the ACME ClusterIssuer", () => {
  test("registers with the directory and solves HTTP-01 with an Ingress of class istio", () => {
    expect(h.one(ISSUER, "installed-issuer").inputs).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: expect.objectContaining({ name: "letsencrypt-staging" }),
      spec: {
        acme: {
          server: "https://acme-staging-v02.api.letsencrypt.org/directory",
          email: "platform@example.com",
          privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
          solvers: [{ http01: { ingress: { class: "istio" } } }],
        },
      },
    });
  });

  test("waits for the release that installs its CRD", () => {
    expect(h.one(ISSUER, "installed-issuer").dependsOn).toContain(h.one(RELEASE, "installed-cert-manager").urn);
  });
});

describe("the Certificates", () => {
  test("one per issued Secret, in the gateway namespace, naming every host that serves it", () => {
    expect(h.one(CERTIFICATE, "installed-shop-tls").inputs).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: expect.objectContaining({ name: "shop-tls", namespace: "istio-ingress" }),
      spec: {
        secretName: "shop-tls",
        dnsNames: ["shop.example.com", "monitoring.example.com"],
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt-staging" },
      },
    });
  });

  test("wait for their issuer", () => {
    expect(h.one(CERTIFICATE, "installed-shop-tls").dependsOn).toContain(h.one(ISSUER, "installed-issuer").urn);
  });
});
