// aks-mesh:security.mtls: what the section refuses before any resource exists (an exception without its reason, a
// workload policy Istio would ignore, a check that cannot reach Prometheus, an image not pinned by digest), and what
// it resolves (the scope STRICT covers, the Prometheus URL).
import { parseConfig } from "../../config";
import { CHECK_IMAGE } from "../../config/security/mtls";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "dev" };

function raw(mtls: unknown, extra: Record<string, unknown> = {}): Record<string, string> {
  const sections: Record<string, unknown> = {
    environment: "development",
    cluster: { resourceGroup: "rg", name: "aks" },
    ingress: { hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }] },
    services: { web: { namespace: "shop", ports: [{ port: 80, protocol: "http" }] } },
    meshNamespaces: [{ name: "shop" }],
    security: { mtls },
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(sections).map(([k, v]) => [`aks-mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

const problems = (mtls: unknown) => configProblems(() => parseConfig(raw(mtls), ctx));
const resolved = (mtls: unknown) => parseConfig(raw(mtls), ctx).security.mtls;
const check = { mode: "automated", prometheusUrl: "http://prometheus.example:9090" };

describe("refuses", () => {
  test.each([
    [
      "a PERMISSIVE namespace without a reason",
      { namespaces: { shop: { mode: "PERMISSIVE" } } },
      /aks-mesh:security\.mtls\.namespaces\.shop\.reason.*required: mode PERMISSIVE accepts plaintext/,
    ],
    [
      "a DISABLE workload without a reason",
      { workloads: { legacy: { namespace: "shop", selector: { app: "legacy" }, mode: "DISABLE" } } },
      /aks-mesh:security\.mtls\.workloads\.legacy\.reason.*required: mode DISABLE/,
    ],
    [
      "a port exception without a reason",
      {
        workloads: {
          kc: { namespace: "shop", selector: { app: "kc" }, ports: { "8080": { mode: "PERMISSIVE" } } },
        },
      },
      /aks-mesh:security\.mtls\.workloads\.kc\.ports\.8080\.reason/,
    ],
    [
      "a port exception that turns a port STRICT (only exceptions are ports' business)",
      {
        workloads: {
          kc: { namespace: "shop", selector: { app: "kc" }, ports: { "8080": { mode: "STRICT", reason: "x" } } },
        },
      },
      /aks-mesh:security\.mtls\.workloads\.kc\.ports\.8080\.mode/,
    ],
    [
      "a port out of range",
      {
        workloads: {
          kc: { namespace: "shop", selector: { app: "kc" }, ports: { "70000": { mode: "DISABLE", reason: "x" } } },
        },
      },
      /aks-mesh:security\.mtls\.workloads\.kc\.ports/,
    ],
    [
      "a workload policy without a selector (Istio's CRD needs one for portLevelMtls)",
      { workloads: { kc: { namespace: "shop", selector: {}, mode: "STRICT" } } },
      /aks-mesh:security\.mtls\.workloads\.kc\.selector.*at least one label/,
    ],
    [
      "a workload policy in the control-plane namespace, which Istio ignores",
      { workloads: { kc: { namespace: "istio-system", selector: { app: "kc" }, mode: "STRICT" } } },
      /aks-mesh:security\.mtls\.workloads\.kc\.namespace: "istio-system" is the control-plane .*ignores/,
    ],
    [
      "an automated check without Prometheus when observability is off",
      { mode: "STRICT", check: { mode: "automated" } },
      /aks-mesh:security\.mtls\.check\.prometheusUrl: is required .*aks-mesh:observability is off/,
    ],
    [
      "a check image not pinned by digest",
      { mode: "STRICT", check: { ...check, image: "node:22-alpine" } },
      /aks-mesh:security\.mtls\.check\.image.*pinned by digest/,
    ],
    [
      "an attestation dated in the future",
      { mode: "STRICT", check: { mode: "manual", attestation: { what: "w", by: "b", date: "2999-01-01" } } },
      /aks-mesh:security\.mtls\.check\.attestation\.date: 2999-01-01 is in the future/,
    ],
    [
      "an allowlist entry that is not <namespace>/<workload>",
      { mode: "STRICT", check: { ...check, allowlist: [{ workload: "reporter", reason: "x" }] } },
      /aks-mesh:security\.mtls\.check\.allowlist\[0\]\.workload: must be "<namespace>\/<workload>"/,
    ],
  ])("%s", (_title, mtls, message) => {
    expect(problems(mtls).join("\n")).toMatch(message);
  });
});

test("refuses a window longer than the observability Prometheus keeps samples", () => {
  const found = configProblems(() =>
    parseConfig(
      raw(
        { mode: "STRICT", check: { mode: "automated", window: "30d" } },
        {
          observability: {
            host: "monitoring.example.com",
            prometheus: { retention: "15d" },
            alerts: { slackChannel: "#alerts" },
          },
          slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
        },
      ),
      ctx,
    ),
  );
  expect(found.join("\n")).toMatch(
    /aks-mesh:security\.mtls\.check\.window: 30d is longer than Prometheus keeps samples \(aks-mesh:observability\.prometheus\.retention: 15d\)/,
  );
});

describe("resolves", () => {
  test("the scope of a mesh-wide STRICT as the whole mesh", () => {
    expect(resolved({ mode: "STRICT", check })?.strictScope).toEqual(["*"]);
  });

  test("the scope of STRICT namespaces and workloads under a PERMISSIVE mesh as their namespaces", () => {
    const m = resolved({
      mode: "PERMISSIVE",
      namespaces: { shop: { mode: "STRICT" }, keycloak: { mode: "PERMISSIVE", reason: "r" } },
      workloads: { pay: { namespace: "payments", selector: { app: "pay" }, mode: "STRICT" } },
      check,
    });
    expect(m?.strictScope).toEqual(["payments", "shop"]);
  });

  test("no check while nothing is STRICT, even when one is configured", () => {
    expect(resolved({ mode: "PERMISSIVE", check })?.check).toBeUndefined();
  });

  test("the automated check's defaults: a 24h window, 100 requests, the pinned Node image", () => {
    expect(resolved({ mode: "STRICT", check })?.check).toMatchObject({
      window: "24h",
      minRequests: 100,
      image: CHECK_IMAGE,
      rerun: "",
    });
  });

  test("Prometheus's URL from the observability area when it is on: its in-cluster Service under /prometheus", () => {
    const config = parseConfig(
      raw(
        { mode: "STRICT", check: { mode: "automated" } },
        {
          observability: { host: "monitoring.example.com", alerts: { slackChannel: "#alerts" } },
          slackWebhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
        },
      ),
      ctx,
    );
    const c = config.security.mtls?.check;
    expect(c?.mode === "automated" ? c.prometheusUrl : undefined).toBe(
      "http://prometheus-server.monitoring.svc.cluster.local:80/prometheus",
    );
  });
});
