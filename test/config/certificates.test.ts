// aks-mesh:security.certificates: which Secrets cert-manager issues, the Certificate each becomes, and what the config
// refuses before any resource exists (a Secret no host names, no issuer, a gateway Istio's Ingress support does not
// select, a route over the challenge path). A Secret cert-manager issues needs no ingress.tlsSecrets entry.
import { parseConfig, SECRET_CONFIG_KEYS } from "../../config";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "dev" };
const acme = { server: "letsencrypt-staging", email: "platform@example.com" };

/** The sections as Pulumi hands them over, with the Slack webhook secret the monitoring host needs. */
function raw(sections: Record<string, unknown>): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(sections)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`aks-mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
    "aks-mesh:slackWebhookUrl": SECRET_CONFIG_KEYS.slackWebhookUrl?.example ?? "",
  };
}

/** A dev stack with an application host and the monitoring host, both on `secret`. */
function stack(certificates: unknown, o: { secret?: string; gatewayName?: string; prefix?: string } = {}) {
  const secret = o.secret ?? "shop-tls";
  return raw({
    environment: "development",
    cluster: { resourceGroup: "rg", name: "aks" },
    ...(o.gatewayName ? { ingressGateway: { name: o.gatewayName } } : {}),
    ingress: {
      hosts: [
        {
          host: "shop.example.com",
          tls: { credentialName: secret },
          routes: [{ prefix: o.prefix ?? "/", service: "web" }],
        },
      ],
    },
    services: { web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] } },
    meshNamespaces: [{ name: "front" }],
    observability: { host: "monitoring.example.com", tls: { credentialName: secret } },
    security: certificates === undefined ? undefined : { certificates },
  });
}

const problems = (certificates: unknown, o?: Parameters<typeof stack>[1]) =>
  configProblems(() => parseConfig(stack(certificates, o), ctx));

describe("issued certificates", () => {
  test("one Certificate per issued Secret, listing every host that names it", () => {
    const c = parseConfig(stack({ acme, issue: ["shop-tls"] }), ctx).security.certificates;
    expect(c?.certificates).toEqual([
      { secretName: "shop-tls", dnsNames: ["shop.example.com", "monitoring.example.com"] },
    ]);
    expect(c?.acme?.directory).toBe("https://acme-staging-v02.api.letsencrypt.org/directory");
  });

  test("pins cert-manager v1.18.6 from the jetstack chart by default, installed by the stack", () => {
    const c = parseConfig(stack({ acme, issue: ["shop-tls"] }), ctx).security.certificates;
    expect(c?.certManager).toEqual({
      install: true,
      version: "v1.18.6",
      namespace: "cert-manager",
      helmTimeoutSeconds: 600,
    });
  });

  test("an issued Secret needs no ingress.tlsSecrets entry: its Certificate creates it in the gateway namespace", () => {
    expect(problems({ acme, issue: ["shop-tls"] })).toEqual([]);
  });

  test("a brought Secret still has to be listed in the gateway namespace", () => {
    expect(problems(undefined)).toEqual([
      expect.stringContaining("aks-mesh:ingress.hosts[0].tls.credentialName"),
      expect.stringContaining("aks-mesh:observability.tls.credentialName"),
    ]);
  });

  test("the section absent resolves to no certificates at all", () => {
    const config = parseConfig(
      {
        ...stack(undefined),
        "aks-mesh:ingress": JSON.stringify({
          tlsSecrets: { "shop-tls": ["istio-ingress"] },
          hosts: [
            {
              host: "shop.example.com",
              tls: { credentialName: "shop-tls" },
              routes: [{ prefix: "/", service: "web" }],
            },
          ],
        }),
      },
      ctx,
    );
    expect(config.security.certificates).toBeUndefined();
  });
});

describe("refusals", () => {
  test.each([
    [
      "a Secret no host names",
      { acme, issue: ["shop-tls", "other-tls"] },
      {},
      /issue\[1\]: "other-tls" is the tls.credentialName of no host/,
    ],
    [
      "issuing without an issuer",
      { issue: ["shop-tls"] },
      {},
      /security\.certificates\.acme: is required when issue lists a Secret/,
    ],
    ["a Secret listed twice", { acme, issue: ["shop-tls", "shop-tls"] }, {}, /issue\[1\]: "shop-tls" is listed twice/],
    ["an unknown ACME server", { acme: { ...acme, server: "zerossl" }, issue: ["shop-tls"] }, {}, /acme\.server/],
    [
      "a gateway whose pods Istio's Ingress support does not select",
      { acme, issue: ["shop-tls"] },
      { gatewayName: "public-gw" },
      /labels its pods istio=public-gw/,
    ],
    [
      "a route prefix that covers the challenge path",
      { acme, issue: ["shop-tls"] },
      { prefix: "/.well-known" },
      /prefix "\/.well-known" covers \/.well-known\/acme-challenge\//,
    ],
  ])("refuses %s", (_title, certificates, o, message) => {
    const found = problems(certificates, o);
    expect(found).toContainEqual(expect.stringMatching(message));
  });
});
