// public-gateway-https-only: TLS servers pin TLS 1.2 or later, plain HTTP only redirects, and the one exception is the
// ACME HTTP-01 challenge of hosts the stack's issuer certifies that way, with every other route a redirect to https.
import { publicGatewayHttpsOnly } from "../../policy/security/gateway-tls";
import {
  type Case,
  check,
  type Fixture,
  istio,
  kube,
  runCases,
  runCoverage,
  runPreviewSafety,
  UNKNOWN_ARRAY,
} from "./fixtures";

const NS = "istio-ingress";
const policy = publicGatewayHttpsOnly;

const https = (tls: Record<string, unknown>) => ({
  port: { number: 443, name: "https", protocol: "HTTPS" },
  hosts: [`${NS}/shop.example.com`],
  tls,
});
const redirecting = {
  port: { number: 80, name: "http", protocol: "HTTP" },
  hosts: [`${NS}/shop.example.com`],
  tls: { httpsRedirect: true },
};
const plain = (host = "shop.example.com") => ({
  port: { number: 80, name: "http-acme", protocol: "HTTP" },
  hosts: [`${NS}/${host}`],
});
const gateway = (name: string, servers: unknown[]) =>
  istio("Gateway", name, { selector: { istio: "ingressgateway" }, servers }, { namespace: NS });

const simple = { mode: "SIMPLE", credentialName: "shop-tls" };

/** A ClusterIssuer of cert-manager with one solver, and a Certificate of it for shop.example.com. */
function acme(solver: Record<string, unknown>): Fixture[] {
  return [
    kube("cert-manager.io/v1", "ClusterIssuer", "letsencrypt", {
      spec: { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory", solvers: [solver] } },
    }),
    kube(
      "cert-manager.io/v1",
      "Certificate",
      "shop-tls",
      {
        spec: {
          secretName: "shop-tls",
          dnsNames: ["shop.example.com"],
          issuerRef: { kind: "ClusterIssuer", name: "letsencrypt" },
        },
      },
      { namespace: NS },
    ),
  ];
}
const http01 = acme({ http01: { ingress: { class: "istio" } } });

const routes = (gatewayName: string, http: unknown[]) =>
  istio(
    "VirtualService",
    `${gatewayName}-routes`,
    { hosts: ["shop.example.com"], gateways: [`${NS}/${gatewayName}`], http },
    { namespace: NS },
  );
const redirectToHttps = { name: "https-redirect", redirect: { scheme: "https", redirectCode: 301 } };
const toWeb = { name: "web", route: [{ destination: { host: "web.front.svc.cluster.local" } }] };

const cases: Case[] = [
  {
    title: "accepts HTTPS with TLS 1.2 and a port-80 server that redirects",
    policy,
    fixtures: [gateway("public", [redirecting, https({ ...simple, minProtocolVersion: "TLSV1_2" })])],
  },
  {
    title: "accepts TLS 1.3 as the minimum",
    policy,
    fixtures: [gateway("public", [https({ ...simple, minProtocolVersion: "TLSV1_3" })])],
  },
  {
    title: "accepts a passthrough server: the backend terminates TLS, not the gateway (mode unset is PASSTHROUGH)",
    policy,
    fixtures: [gateway("public", [https({})])],
  },
  {
    title: "rejects HTTPS whose minimum is left to Envoy's default (TLS_AUTO)",
    policy,
    fixtures: [gateway("public", [https(simple)])],
    rejects:
      /servers\[0\] \(port 443, istio-ingress\/shop.example.com\) terminates TLS with minProtocolVersion TLS_AUTO .*set tls.minProtocolVersion: TLSV1_2/,
    count: 1,
  },
  {
    title: "rejects HTTPS that admits TLS 1.1",
    policy,
    fixtures: [gateway("public", [https({ ...simple, minProtocolVersion: "TLSV1_1" })])],
    rejects: /minProtocolVersion TLSV1_1/,
    count: 1,
  },
  {
    title: "rejects a plain-HTTP server for a host without an ACME HTTP-01 certificate",
    policy,
    fixtures: [gateway("public", [plain()]), routes("public", [toWeb])],
    rejects: /serves plain HTTP without redirecting to HTTPS: shop.example.com has no ACME HTTP-01 certificate/,
    count: 1,
  },
  {
    title: "accepts the ACME challenge server: an HTTP-01 certificate for its host, and only a redirect to https bound",
    policy,
    fixtures: [gateway("acme", [plain()]), routes("acme", [redirectToHttps]), ...http01],
  },
  {
    title: "rejects the challenge server when a route bound to it serves the application in plain HTTP",
    policy,
    fixtures: [gateway("acme", [plain()]), routes("acme", [toWeb, redirectToHttps]), ...http01],
    rejects: /VirtualService istio-ingress\/acme-routes http\[0\] serves it in plain HTTP \(it does not redirect\)/,
    count: 1,
  },
  {
    title: "rejects the challenge server when its redirect keeps the http scheme",
    policy,
    fixtures: [gateway("acme", [plain()]), routes("acme", [{ name: "r", redirect: { uri: "/" } }]), ...http01],
    rejects: /redirects with scheme unset/,
    count: 1,
  },
  {
    title: "rejects the challenge exception for a certificate obtained through DNS-01 (no challenge on port 80)",
    policy,
    fixtures: [
      gateway("acme", [plain()]),
      routes("acme", [redirectToHttps]),
      ...acme({ dns01: { azureDNS: { hostedZoneName: "example.com" } } }),
    ],
    rejects: /shop.example.com has no ACME HTTP-01 certificate/,
    count: 1,
  },
  {
    title: "accepts routes bound to the challenge Gateway that apply to another port only",
    policy,
    fixtures: [
      gateway("acme", [plain()]),
      routes("acme", [{ ...toWeb, match: [{ port: 443 }] }, redirectToHttps]),
      ...http01,
    ],
  },
  {
    title: "rejects a plaintext TCP server",
    policy,
    fixtures: [gateway("public", [{ port: { number: 5432, name: "tcp", protocol: "TCP" }, hosts: ["*"] }])],
    rejects: /serves TCP in plaintext/,
    count: 1,
  },
];

describe("public-gateway-https-only", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([publicGatewayHttpsOnly], cases);

  it("cannot say a host lacks its certificate while a Certificate's names are unknown (preview)", async () => {
    const [issuer, certificate] = http01 as [Fixture, Fixture];
    const pending: Fixture = {
      ...certificate,
      props: { ...certificate.props, spec: { ...(certificate.props.spec as object), dnsNames: UNKNOWN_ARRAY } },
    };
    const fixtures = [gateway("acme", [plain()]), routes("acme", [redirectToHttps]), issuer, pending];
    expect(await check(policy, fixtures)).toEqual([]);
  });
});
