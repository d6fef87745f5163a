import { authorizationPolicyNoAllowAll } from "../../policy/security/authorization-policy";
import {
  MESH_WIDE_SCOPE,
  MTLS_CHECK_COMPONENT_TYPE,
  MTLS_CHECK_LABEL,
  MTLS_CHECK_SCOPE_ANNOTATION,
} from "../../policy/contract";
import {
  peerAuthenticationSingleMeshWide,
  peerAuthenticationStrictRequiresMtlsCheck,
} from "../../policy/security/peer-authentication";
import { requestAuthenticationRequiresPrincipalPolicy } from "../../policy/security/request-authentication";
import {
  type Case,
  check,
  type Fixture,
  helmRelease,
  istio,
  kube,
  runCases,
  runCoverage,
  runPreviewSafety,
  UNKNOWN_STRING,
  urnOf,
} from "./fixtures";

/** The security layer's gate as the contract describes it: the component and the record it creates as its child. */
function mtlsCheck(name: string, scope: string): { component: Fixture; record: Fixture } {
  const component: Fixture = { type: MTLS_CHECK_COMPONENT_TYPE, name, props: {} };
  const record = kube(
    "v1",
    "ConfigMap",
    `${name}-result`,
    { data: { result: "passed" } },
    {
      namespace: "istio-system",
      labels: { [MTLS_CHECK_LABEL]: "true" },
      annotations: { [MTLS_CHECK_SCOPE_ANNOTATION]: scope },
      parent: urnOf(component),
    },
  );
  return { component, record };
}

const strictPa = (namespace: string, deps: Fixture[] = [], spec: unknown = { mtls: { mode: "STRICT" } }) =>
  istio("PeerAuthentication", "strict", spec, {
    namespace,
    dependencies: deps.map(urnOf),
    resourceName: `pa-${namespace}`,
  });

const web = mtlsCheck("mtls-web", "web");
const api = mtlsCheck("mtls-api", "api");
const mesh = mtlsCheck("mtls-mesh", MESH_WIDE_SCOPE);
const webAndShop = mtlsCheck("mtls-web-shop", "shop, web");

const requireJwt = (namespace: string, selector?: Record<string, string>) =>
  istio(
    "AuthorizationPolicy",
    "require-jwt",
    {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      action: "DENY",
      rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }],
    },
    { namespace },
  );
const jwtAuthn = (namespace: string, selector?: Record<string, string>) =>
  istio(
    "RequestAuthentication",
    "keycloak",
    {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      jwtRules: [{ issuer: "https://keycloak.example.com/realms/shop" }],
    },
    { namespace },
  );

const cases: Case[] = [
  // The headline rule: STRICT needs a compatibility check that covers its scope.
  {
    title: "rejects a STRICT namespace PeerAuthentication without a compatibility check, naming the check to add",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [strictPa("web")],
    rejects: new RegExp(
      `PeerAuthentication web/strict turns on STRICT mTLS for namespace web without an mTLS compatibility check.*Add an ${MTLS_CHECK_COMPONENT_TYPE} whose scope covers "web"`,
    ),
    count: 1,
  },
  {
    title: "accepts a STRICT PeerAuthentication that depends on a check covering its namespace",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [web.component, web.record, strictPa("web", [web.record])],
  },
  {
    title: "accepts a check whose scope lists several namespaces",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [webAndShop.component, webAndShop.record, strictPa("web", [webAndShop.record])],
  },
  {
    title: "does not count a check that covers another namespace",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [api.component, api.record, strictPa("web", [api.record])],
    rejects: /without an mTLS compatibility check covering it\. It depends on a check covering api only\./,
  },
  {
    title: "does not count a check the PeerAuthentication does not depend on",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [web.component, web.record, strictPa("web")],
    rejects: /without an mTLS compatibility check/,
  },
  {
    title: "counts port-level STRICT as STRICT",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [strictPa("web", [], { mtls: { mode: "PERMISSIVE" }, portLevelMtls: { "8080": { mode: "STRICT" } } })],
    rejects: /turns on STRICT mTLS for namespace web/,
  },
  {
    title: "counts a workload-level STRICT against its namespace",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [
      web.component,
      web.record,
      strictPa("web", [web.record], { selector: { matchLabels: { app: "web" } }, mtls: { mode: "STRICT" } }),
    ],
  },
  {
    title: "requires a mesh-wide check for a mesh-wide STRICT",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [web.component, web.record, strictPa("istio-system", [web.record])],
    rejects: /STRICT mTLS for the whole mesh.*scope covers "\*"/,
  },
  {
    title: "accepts a mesh-wide STRICT that depends on a mesh-wide check",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [mesh.component, mesh.record, strictPa("istio-system", [mesh.record])],
  },
  {
    title: "finds the mesh root in istiod's meshConfig.rootNamespace",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [
      helmRelease("istiod", { values: { meshConfig: { rootNamespace: "mesh-root" } } }),
      web.component,
      web.record,
      strictPa("mesh-root", [web.record]),
    ],
    rejects: /for the whole mesh/,
  },
  {
    title: "ignores a look-alike record that no compatibility check created",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [{ ...web.record, parent: undefined }, strictPa("web", [web.record])],
    rejects: /without an mTLS compatibility check/,
  },
  {
    title: "leaves PERMISSIVE PeerAuthentications alone (the migration step)",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [strictPa("web", [], { mtls: { mode: "PERMISSIVE" } })],
  },
  // One mesh-wide PeerAuthentication.
  {
    title: "rejects two mesh-wide PeerAuthentications",
    policy: peerAuthenticationSingleMeshWide,
    fixtures: [
      istio("PeerAuthentication", "default", { mtls: { mode: "PERMISSIVE" } }, { namespace: "istio-system" }),
      istio("PeerAuthentication", "strict", { mtls: { mode: "STRICT" } }, { namespace: "istio-system" }),
    ],
    rejects: /is one of 2 mesh-wide PeerAuthentications .*Istio applies only the oldest/,
    count: 2,
  },
  {
    title: "accepts one mesh-wide PeerAuthentication next to workload-scoped ones in the root namespace",
    policy: peerAuthenticationSingleMeshWide,
    fixtures: [
      istio("PeerAuthentication", "default", { mtls: { mode: "PERMISSIVE" } }, { namespace: "istio-system" }),
      istio(
        "PeerAuthentication",
        "istiod",
        { selector: { matchLabels: { app: "istiod" } }, mtls: { mode: "STRICT" } },
        { namespace: "istio-system" },
      ),
    ],
  },
  // RequestAuthentication needs a policy that requires a token.
  {
    title: "rejects a RequestAuthentication alone, which lets requests without a token through",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [jwtAuthn("api", { app: "api" })],
    rejects: /RequestAuthentication \S+ has no AuthorizationPolicy requiring a request principal/,
    // No AuthorizationPolicy at all is known in preview too.
    preview: { allUnknown: 1, unknownLeaves: 1 },
  },
  {
    title: "accepts a RequestAuthentication with a DENY notRequestPrincipals policy for the same workloads",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [jwtAuthn("api", { app: "api" }), requireJwt("api", { app: "api" })],
  },
  {
    title: "accepts a mesh-wide ALLOW policy that requires request principals",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [
      jwtAuthn("api"),
      istio(
        "AuthorizationPolicy",
        "jwt-only",
        { rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] },
        { namespace: "istio-system" },
      ),
    ],
  },
  {
    title: "rejects an ALLOW policy with a rule that admits requests without a principal",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [
      jwtAuthn("api"),
      istio(
        "AuthorizationPolicy",
        "mixed",
        {
          rules: [
            { from: [{ source: { requestPrincipals: ["*"] } }] },
            { to: [{ operation: { paths: ["/healthz"] } }] },
          ],
        },
        { namespace: "api" },
      ),
    ],
    rejects: /requests without a token pass/,
    // The second rule has no source at all: known whatever the unknown paths are.
    preview: { unknownLeaves: 1 },
  },
  {
    title: "rejects a policy that requires a token for other workloads only",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [jwtAuthn("api", { app: "api" }), requireJwt("api", { app: "admin" }), requireJwt("web", { app: "api" })],
    rejects: /has no AuthorizationPolicy requiring a request principal/,
  },
  {
    title: "counts a root-namespace policy with a selector for matching workloads of every namespace",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [jwtAuthn("api", { app: "api" }), requireJwt("istio-system", { app: "api" })],
  },
  {
    title: "does not count a root-namespace policy whose selector matches other workloads",
    policy: requestAuthenticationRequiresPrincipalPolicy,
    fixtures: [jwtAuthn("api", { app: "api" }), requireJwt("istio-system", { app: "admin" })],
    rejects: /has no AuthorizationPolicy requiring a request principal/,
  },
  // No ALLOW-everything policy.
  {
    title: "rejects an ALLOW policy with an empty rule",
    policy: authorizationPolicyNoAllowAll,
    fixtures: [istio("AuthorizationPolicy", "allow-all", { action: "ALLOW", rules: [{}] }, { namespace: "web" })],
    rejects: /AuthorizationPolicy allow-all rule 0 allows every request/,
  },
  {
    title: "rejects a rule whose only condition is an empty source",
    policy: authorizationPolicyNoAllowAll,
    fixtures: [
      istio("AuthorizationPolicy", "allow-any-source", { rules: [{ from: [{ source: {} }] }] }, { namespace: "web" }),
    ],
    rejects: /allows every request/,
    preview: { unknownLeaves: 1 },
  },
  {
    title: "accepts the default-deny policy (no rules) and a DENY-all",
    policy: authorizationPolicyNoAllowAll,
    fixtures: [
      istio("AuthorizationPolicy", "deny-all", {}, { namespace: "istio-system" }),
      istio("AuthorizationPolicy", "deny-everything", { action: "DENY", rules: [{}] }, { namespace: "web" }),
    ],
  },
  {
    title: "accepts an ALLOW policy that names its sources",
    policy: authorizationPolicyNoAllowAll,
    fixtures: [
      istio(
        "AuthorizationPolicy",
        "from-gateway",
        {
          action: "ALLOW",
          rules: [{ from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }] }],
        },
        { namespace: "web" },
      ),
    ],
  },
];

describe("security policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(
    [
      peerAuthenticationStrictRequiresMtlsCheck,
      peerAuthenticationSingleMeshWide,
      requestAuthenticationRequiresPrincipalPolicy,
      authorizationPolicyNoAllowAll,
    ],
    cases,
  );

  it("cannot decide coverage while the check's scope is unknown (preview), so it reports nothing", async () => {
    const pending = {
      ...web.record,
      props: {
        ...web.record.props,
        metadata: { ...(web.record.props.metadata as object), annotations: UNKNOWN_STRING },
      },
    };
    const violations = await check(peerAuthenticationStrictRequiresMtlsCheck, [
      web.component,
      pending,
      strictPa("web", [pending]),
    ]);
    expect(violations).toEqual([]);
  });

  it("reports a STRICT PeerAuthentication on its own URN", async () => {
    const pa = strictPa("web");
    const [v] = await check(peerAuthenticationStrictRequiresMtlsCheck, [pa]);
    expect(v?.urn).toBe(urnOf(pa));
  });
});
