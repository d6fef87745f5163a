// TLS on the public Gateway: one HTTPS server per certificate with TLS 1.2 at least, port 80 redirecting to HTTPS, and
// for hosts whose certificate comes through ACME HTTP-01, port 80 on a challenge Gateway of its own whose only bound
// route redirects to https (the challenge route is cert-manager's, made at run time).
import { type Harness, mockRuntime } from "../../harness";
import type * as Ingress from "../../../components/ingress";
import { challengeServers, gatewayServers, type GatewayHost } from "../../../components/ingress/public-gateway";
import { gatewaySelector } from "../../../components/shared";

const GATEWAY = "kubernetes:networking.istio.io/v1:Gateway";
const VIRTUAL_SERVICE = "kubernetes:networking.istio.io/v1:VirtualService";

const brought: GatewayHost = {
  host: "www.example.com",
  routesNamespace: "istio-ingress",
  tls: { credentialName: "www-tls", httpsRedirect: true },
};
const issued: GatewayHost[] = [
  {
    host: "app.example.com",
    routesNamespace: "istio-ingress",
    tls: { credentialName: "app-tls", httpsRedirect: true, http01: true },
  },
  {
    host: "monitoring.example.com",
    routesNamespace: "monitoring",
    tls: { credentialName: "app-tls", httpsRedirect: true, http01: true },
  },
];

let h: Harness;

beforeAll(async () => {
  h = await mockRuntime();
  const ingress: typeof Ingress = await import("../../../components/ingress");
  const selector = gatewaySelector("istio-ingressgateway");
  new ingress.PublicGateway("byo", { name: "public-gateway", namespace: "istio-ingress", selector, hosts: [brought] });
  new ingress.PublicGateway("acme", { name: "public-gateway", namespace: "istio-ingress", selector, hosts: issued });
  await h.settle();
});

describe("HTTPS servers", () => {
  test("one per certificate, with its credentialName and TLS 1.2 at least", () => {
    expect(gatewayServers([brought, ...issued]).filter((s) => s.port?.protocol === "HTTPS")).toEqual([
      {
        port: { number: 443, name: "https-www-tls", protocol: "HTTPS" },
        hosts: ["istio-ingress/www.example.com"],
        tls: { mode: "SIMPLE", credentialName: "www-tls", minProtocolVersion: "TLSV1_2" },
      },
      {
        port: { number: 443, name: "https-app-tls", protocol: "HTTPS" },
        hosts: ["istio-ingress/app.example.com", "monitoring/monitoring.example.com"],
        tls: { mode: "SIMPLE", credentialName: "app-tls", minProtocolVersion: "TLSV1_2" },
      },
    ]);
  });
});

describe("port 80", () => {
  test("a brought certificate's host redirects on the main Gateway (tls.httpsRedirect)", () => {
    expect(gatewayServers([brought])[0]).toEqual({
      port: { number: 80, name: "http-redirect", protocol: "HTTP" },
      hosts: ["istio-ingress/www.example.com"],
      tls: { httpsRedirect: true },
    });
    expect(h.all(GATEWAY).filter((g) => g.name.startsWith("byo"))).toHaveLength(1);
  });

  test("an HTTP-01 host has no port-80 server on the main Gateway, whose routes would otherwise be served in plain HTTP", () => {
    const main = h.one(GATEWAY, "acme-gateway").inputs.spec as { servers: { port: { number: number } }[] };
    expect(main.servers.map((s) => s.port.number)).toEqual([443]);
  });

  test("an HTTP-01 host is served on port 80 by the challenge Gateway, without httpsRedirect (it would redirect the challenge)", () => {
    expect(h.one(GATEWAY, "acme-acme-gateway").inputs).toMatchObject({
      metadata: { name: "public-gateway-acme", namespace: "istio-ingress" },
      spec: {
        selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
        servers: [
          {
            port: { number: 80, name: "http-acme", protocol: "HTTP" },
            hosts: ["istio-ingress/app.example.com", "istio-ingress/monitoring.example.com"],
          },
        ],
      },
    });
    expect(challengeServers("istio-ingress", issued)[0]).not.toHaveProperty("tls");
  });

  test("the challenge Gateway's one bound route redirects everything to https with a 301", () => {
    expect(h.one(VIRTUAL_SERVICE, "acme-acme-redirect").inputs).toMatchObject({
      metadata: { name: "public-gateway-acme-https-redirect", namespace: "istio-ingress" },
      spec: {
        hosts: ["app.example.com", "monitoring.example.com"],
        gateways: ["istio-ingress/public-gateway-acme"],
        http: [{ name: "https-redirect", redirect: { scheme: "https", redirectCode: 301 } }],
      },
    });
  });

  test("a host with an HTTP-01 certificate that does not redirect stays on the main Gateway's plain server", () => {
    const noRedirect: GatewayHost = {
      host: "plain.example.com",
      routesNamespace: "istio-ingress",
      tls: { credentialName: "app-tls", httpsRedirect: false, http01: true },
    };
    expect(challengeServers("istio-ingress", [noRedirect])).toEqual([]);
    expect(gatewayServers([noRedirect])[0]).toEqual({
      port: { number: 80, name: "http", protocol: "HTTP" },
      hosts: ["istio-ingress/plain.example.com"],
    });
  });
});
