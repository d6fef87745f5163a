// JWT at the mesh: the RequestAuthentication and the DENY policy each rule sends, and the JWKS trap's fix (istiod runs
// with PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid, and an in-mesh jwksUri is one istiod can resolve to a mesh cluster).
import { parseConfig } from "../../../config";
import { jwtObjects } from "../../../components/security/jwt";
import { configProblems } from "../../support/config";

const base: Record<string, string> = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    keycloak: { namespace: "keycloak", ports: [{ port: 8080, protocol: "http" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "keycloak" }]),
};
const ISSUER = "https://login.example.com/realms/shop";
const JWKS = "http://keycloak.keycloak.svc.cluster.local:8080/realms/shop/protocol/openid-connect/certs";

function configWith(jwt: unknown) {
  return parseConfig({ ...base, "aks-mesh:security": JSON.stringify({ jwt }) }, { project: "aks-mesh", stack: "test" });
}
const gateway = { namespace: "istio-ingress", serviceAccount: "istio-ingressgateway", selector: { istio: "gw" } };
function objects(rule: Record<string, unknown>) {
  const config = configWith({
    providers: { shop: { issuer: ISSUER, jwksUri: JWKS } },
    rules: [{ provider: "shop", ...rule }],
  });
  return jwtObjects({ config: config.security.jwt, graph: config.mesh.graph, gateway });
}

describe("a rule on a service", () => {
  const [o] = objects({ service: "web", paths: ["/api/*"], excludePaths: ["/api/health"], realmRoles: ["shopper"] });

  test("validates the realm's tokens at the service's pods", () => {
    expect(o!.namespace).toBe("front");
    expect(o!.requestAuthentication).toEqual({
      selector: { matchLabels: { app: "web" } },
      jwtRules: [{ issuer: ISSUER, jwksUri: JWKS }],
    });
  });

  test("denies, on the paths, requests without a token, with another realm's token, or without a required role", () => {
    const operation = { paths: ["/api/*"], notPaths: ["/api/health"] };
    expect(o!.requireToken).toEqual({
      selector: { matchLabels: { app: "web" } },
      action: "DENY",
      rules: [
        { from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation }] },
        {
          from: [{ source: { requestPrincipals: ["*"], notRequestPrincipals: [`${ISSUER}/*`] } }],
          to: [{ operation }],
        },
        {
          from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }],
          to: [{ operation }],
          when: [{ key: "request.auth.claims[realm_access][roles]", notValues: ["shopper"] }],
        },
      ],
    });
  });
});

test("a rule on a host validates at the ingress gateway, for that host only", () => {
  const [o] = objects({ host: "shop.example.com", forwardOriginalToken: true });
  expect(o!.namespace).toBe("istio-ingress");
  expect(o!.requestAuthentication.jwtRules?.[0]?.forwardOriginalToken).toBe(true);
  expect(o!.requireToken.selector).toEqual({ matchLabels: { istio: "gw" } });
  expect(o!.requireToken.rules?.[0]?.to).toEqual([
    { operation: { hosts: ["shop.example.com", "shop.example.com:*"], paths: ["*"] } },
  ]);
});

describe("the JWKS trap's fix", () => {
  test("istiod gets PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid once a rule exists", () => {
    const config = configWith({
      providers: { shop: { issuer: ISSUER, jwksUri: JWKS } },
      rules: [{ provider: "shop", service: "web" }],
    });
    expect(config.istio.meshConfig.istiodEnv).toEqual({ PILOT_JWT_ENABLE_REMOTE_JWKS: "hybrid" });
  });

  test("istiod keeps its default without rules", () => {
    expect(configWith({}).istio.meshConfig.istiodEnv).toEqual({});
  });

  test("an in-mesh jwksUri by a short name is refused: istiod would not find the mesh cluster and fetch it itself", () => {
    const problems = configProblems(() =>
      configWith({
        providers: {
          shop: { issuer: ISSUER, jwksUri: "http://keycloak.keycloak:8080/realms/shop/protocol/openid-connect/certs" },
        },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^aks-mesh:security\.jwt\.providers\.shop\.jwksUri names service "keycloak".*keycloak\.keycloak\.svc\.cluster\.local/,
      ),
    ]);
  });

  test("an in-mesh jwksUri on a port the service does not have is refused", () => {
    const problems = configProblems(() =>
      configWith({
        providers: {
          shop: {
            issuer: ISSUER,
            jwksUri: "http://keycloak.keycloak.svc.cluster.local/realms/shop/protocol/openid-connect/certs",
          },
        },
      }),
    );
    expect(problems).toEqual([expect.stringContaining('uses port 80, not a port of service "keycloak" (8080)')]);
  });

  test("an external jwksUri is accepted (istiod fetches it in hybrid mode)", () => {
    expect(
      configProblems(() =>
        configWith({
          providers: {
            shop: { issuer: ISSUER, jwksUri: "https://login.example.com/realms/shop/protocol/openid-connect/certs" },
          },
        }),
      ),
    ).toEqual([]);
  });
});

test("a rule naming an unknown provider, service or host is refused with its key", () => {
  const problems = configProblems(() =>
    configWith({
      providers: { shop: { issuer: ISSUER, jwksUri: JWKS } },
      rules: [
        { provider: "shops", service: "web" },
        { provider: "shop", service: "wbe" },
        { provider: "shop", host: "other.example.com" },
      ],
    }),
  );
  expect(problems).toEqual([
    expect.stringContaining('aks-mesh:security.jwt.rules[0].provider: "shops" is not a provider'),
    expect.stringContaining('aks-mesh:security.jwt.rules[1].service: "wbe" is not a service'),
    expect.stringContaining('aks-mesh:security.jwt.rules[2].host: "other.example.com" is not a host'),
  ]);
});
