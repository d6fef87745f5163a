// The mTLS rollout's paper trail: the STRICT gate names the config key to set, a manual attestation counts only while
// recent, and every PERMISSIVE/DISABLE exception below the mesh-wide level carries its reason.
import {
  MTLS_ATTESTATION_VALID_DAYS_ANNOTATION,
  MTLS_ATTESTED_AT_ANNOTATION,
  MTLS_CHECK_COMPONENT_TYPE,
  MTLS_CHECK_LABEL,
  MTLS_CHECK_MODE_ANNOTATION,
  MTLS_CHECK_SCOPE_ANNOTATION,
  MTLS_EXCEPTION_REASON_ANNOTATION,
} from "../../policy/contract";
import {
  attestationPolicy,
  mtlsAttestationNotExpired,
  peerAuthenticationExceptionHasReason,
} from "../../policy/security/mtls-exceptions";
import {
  peerAuthenticationSingleMeshWide,
  peerAuthenticationStrictRequiresMtlsCheck,
} from "../../policy/security/peer-authentication";
import {
  type Case,
  check,
  type Fixture,
  helmRelease,
  istio,
  kube,
  runCases,
  runPreviewSafety,
  urnOf,
} from "./fixtures";

/** The gate's record as the program writes it, child of the check component. */
function record(scope: string, annotations: Record<string, string>, data: Record<string, string> = {}) {
  const component: Fixture = { type: MTLS_CHECK_COMPONENT_TYPE, name: "security-mtls-check", props: {} };
  const cm = kube(
    "v1",
    "ConfigMap",
    "mtls-compatibility-check",
    { data },
    {
      namespace: "istio-system",
      labels: { [MTLS_CHECK_LABEL]: "true" },
      annotations: { [MTLS_CHECK_SCOPE_ANNOTATION]: scope, ...annotations },
      parent: urnOf(component),
    },
  );
  return { component, record: cm };
}

const manual = (date: string, validDays = "14") =>
  record(
    "*",
    {
      [MTLS_CHECK_MODE_ANNOTATION]: "manual",
      [MTLS_ATTESTED_AT_ANNOTATION]: date,
      [MTLS_ATTESTATION_VALID_DAYS_ANNOTATION]: validDays,
    },
    { mode: "manual", what: "Kiali security badges over 7 days", by: "ops@example.com" },
  );

/** The day the attestation policy runs on in these cases. */
const onDay = attestationPolicy(() => "2026-12-04");

const pa = (namespace: string, name: string, spec: unknown, annotations?: Record<string, string>) =>
  istio("PeerAuthentication", name, spec, {
    namespace,
    ...(annotations ? { annotations } : {}),
    resourceName: `pa-${namespace}-${name}`,
  });

const cases: Case[] = [
  {
    title:
      "counts the stack's mesh-wide policy and a live one of the same name as one object (the stack takes it over)",
    policy: peerAuthenticationSingleMeshWide,
    fixtures: [
      pa("istio-system", "default", { mtls: { mode: "PERMISSIVE" } }),
      { ...pa("istio-system", "default", { mtls: { mode: "PERMISSIVE" } }), name: "live-istio-system-default" },
    ],
  },
  {
    title: "the STRICT gate names the config key that adds the check",
    policy: peerAuthenticationStrictRequiresMtlsCheck,
    fixtures: [pa("istio-system", "default", { mtls: { mode: "STRICT" } })],
    rejects:
      /whole mesh without an mTLS compatibility check.*set aks-mesh:security\.mtls\.check, mode automated or manual/,
  },
  {
    title: "rejects a manual attestation on its first day past the valid days, saying when it was made and by whom",
    policy: onDay,
    fixtures: Object.values(manual("2026-11-20")),
    rejects:
      /attestation istio-system\/mtls-compatibility-check for the whole mesh, made by ops@example\.com on 2026-11-20, expired on 2026-12-04 \(valid 14 days\).*aks-mesh:security\.mtls\.check\.attestation/,
    count: 1,
  },
  {
    title: "accepts a manual attestation on its last valid day",
    policy: onDay,
    fixtures: Object.values(manual("2026-11-21")),
  },
  {
    title: "rejects a manual record without a readable date",
    policy: onDay,
    fixtures: Object.values(manual("last week")),
    rejects: /has no valid date/,
  },
  {
    title: "accepts an automated record, which has no expiry (the Job re-runs with what it checks)",
    policy: onDay,
    fixtures: Object.values(record("*", { [MTLS_CHECK_MODE_ANNOTATION]: "automated" })),
  },
  {
    title: "ignores a look-alike manual record outside a check component",
    policy: onDay,
    fixtures: [{ ...manual("2020-01-01").record, parent: undefined }],
  },
  {
    title: "the pack's instance reads today's date: an attestation of 2020 is long expired",
    policy: mtlsAttestationNotExpired,
    fixtures: Object.values(manual("2020-01-01")),
    rejects: /expired on 2020-01-15/,
  },
  {
    title: "rejects a PERMISSIVE namespace policy without a reason, naming the config key",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [pa("keycloak", "default", { mtls: { mode: "PERMISSIVE" } })],
    rejects:
      /keycloak\/default sets mtls\.mode PERMISSIVE for namespace keycloak without a reason.*aks-mesh:security\.mtls\.namespaces\.keycloak\.reason/,
  },
  {
    title: "rejects a DISABLE port without its port's reason, even when the policy has a general reason",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [
      pa(
        "keycloak",
        "keycloak-http",
        { selector: { matchLabels: { app: "keycloak" } }, portLevelMtls: { "8080": { mode: "DISABLE" } } },
        { [MTLS_EXCEPTION_REASON_ANNOTATION]: "general" },
      ),
    ],
    rejects:
      /sets port 8080 to DISABLE without a reason.*-port-8080 .*aks-mesh:security\.mtls\.workloads\.keycloak-http\.ports\.8080\.reason/,
    count: 1,
  },
  {
    title: "accepts exceptions that carry their reasons",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [
      pa("keycloak", "default", { mtls: { mode: "PERMISSIVE" } }, { [MTLS_EXCEPTION_REASON_ANNOTATION]: "clients" }),
      pa(
        "keycloak",
        "keycloak-http",
        { selector: { matchLabels: { app: "keycloak" } }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } },
        { [`${MTLS_EXCEPTION_REASON_ANNOTATION}-port-8080`]: "outside clients" },
      ),
    ],
  },
  {
    title: "accepts the mesh-wide PERMISSIVE policy: the stack's mode, not an exception",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [pa("istio-system", "default", { mtls: { mode: "PERMISSIVE" } })],
  },
  {
    title: "reads the mesh root from istiod's meshConfig.rootNamespace, as Istio does",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [
      helmRelease("istiod", { values: { meshConfig: { rootNamespace: "mesh-root" } } }),
      pa("mesh-root", "default", { mtls: { mode: "PERMISSIVE" } }),
      pa("istio-system", "default", { mtls: { mode: "DISABLE" } }),
    ],
    rejects: /istio-system\/default sets mtls\.mode DISABLE for namespace istio-system/,
    count: 1,
  },
  {
    title: "accepts UNSET and STRICT levels: they let no plaintext in of their own",
    policy: peerAuthenticationExceptionHasReason,
    fixtures: [
      pa("shop", "default", { mtls: { mode: "STRICT" } }),
      pa("shop", "api", { selector: { matchLabels: { app: "api" } }, mtls: { mode: "UNSET" } }),
      pa("shop", "web", { selector: { matchLabels: { app: "web" } }, portLevelMtls: { "80": { mode: "UNSET" } } }),
    ],
  },
];

describe("mTLS gate, attestations and exceptions", () => {
  runCases(cases);
  runPreviewSafety(
    cases.filter(
      (c) => c.policy !== peerAuthenticationStrictRequiresMtlsCheck && c.policy !== peerAuthenticationSingleMeshWide,
    ),
  );

  it("reports an expired attestation on the record", async () => {
    const m = manual("2026-11-01");
    const [v] = await check(onDay, Object.values(m));
    expect(v?.urn).toBe(urnOf(m.record));
  });
});
