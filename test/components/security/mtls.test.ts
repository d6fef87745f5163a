// The mTLS part of the security area: what each level of aks-mesh:security.mtls sends as a PeerAuthentication, and
// the compatibility check every STRICT one waits for (its Job, RBAC and record, as the pack's contract reads them).
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../../config";
import type { MtlsConfig } from "../../../config/security/mtls";
import {
  MTLS_ATTESTATION_VALID_DAYS_ANNOTATION,
  MTLS_ATTESTED_AT_ANNOTATION,
  MTLS_CHECK_LABEL,
  MTLS_CHECK_MODE_ANNOTATION,
  MTLS_CHECK_SCOPE_ANNOTATION,
  MTLS_EXCEPTION_REASON_ANNOTATION,
} from "../../../policy/contract";
import type { Harness } from "../../harness";
import { mockRuntime } from "../../harness";

const PA = "kubernetes:security.istio.io/v1:PeerAuthentication";
const JOB = "kubernetes:batch/v1:Job";
const CM = "kubernetes:core/v1:ConfigMap";

const base = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }],
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "shop", ports: [{ port: 80, protocol: "http" }] },
    keycloak: { namespace: "keycloak", ports: [{ port: 8080, protocol: "http" }] },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "shop", existing: false }, { name: "keycloak" }]),
};

const automated = {
  mode: "automated",
  window: "24h",
  minRequests: 50,
  prometheusUrl: "http://prometheus.example:9090",
  allowlist: [{ workload: "legacy/reporter", reason: "moves into the mesh in Q3" }],
};

function mtlsConfig(mtls: unknown): MtlsConfig {
  const config = parseConfig(
    { ...base, "aks-mesh:security": JSON.stringify({ mtls }) },
    { project: "aks-mesh", stack: "test" },
  );
  if (!config.security.mtls) throw new Error("no mtls section");
  return config.security.mtls;
}

function at(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
}

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime();
  const { Mtls } = await import("../../../components/security");
  const { Mesh } = await import("../../../components/mesh");
  const { testCluster, testControlPlane } = await import("../../support/handles");
  const ready = [new k8s.core.v1.ConfigMap("istiod-ready", {})];
  const prometheusReady = [new k8s.core.v1.ConfigMap("prometheus-ready", {})];
  const cluster = testCluster();
  const controlPlane = testControlPlane({ ready });
  const config = parseConfig(base, { project: "aks-mesh", stack: "test" });
  const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
  const handles = { controlPlane, mesh, prometheusReady };
  const build = (name: string, mtls: unknown) =>
    new Mtls(name, { mtls: mtlsConfig(mtls), handles }, { provider: cluster.provider });

  // Each instance is one scenario, named after it.
  build("meshwide", {
    mode: "STRICT",
    workloads: {
      "keycloak-http": {
        namespace: "keycloak",
        selector: { app: "keycloak" },
        ports: { "8080": { mode: "PERMISSIVE", reason: "clients outside the mesh" } },
      },
    },
    check: automated,
  });
  new Mtls(
    "netpol",
    {
      mtls: mtlsConfig({ mode: "STRICT", check: automated }),
      handles,
      admitToPrometheus: { namespace: "monitoring", port: 9090, dependsOn: prometheusReady },
    },
    { provider: cluster.provider },
  );
  build("rerun", { mode: "STRICT", check: { ...automated, rerun: "2026-11-30" } });
  build("nscope", { mode: "PERMISSIVE", namespaces: { shop: { mode: "STRICT" } }, check: automated });
  build("manual", {
    mode: "STRICT",
    check: { mode: "manual", attestation: { what: "Kiali badges, 7 days", by: "ops@example.com", date: "2026-11-20" } },
  });
  build("nocheck", { mode: "STRICT" });
  build("permissive", {
    mode: "PERMISSIVE",
    namespaces: { keycloak: { mode: "DISABLE", reason: "legacy clients" } },
    check: automated,
  });
  await h.settle();
});

describe("mesh-wide STRICT behind the automated check", () => {
  test("sends the mesh-wide PeerAuthentication as Istio expects it: default, in the root namespace, no selector", () => {
    const pa = h.one(PA, "meshwide-pa-mesh");
    expect(at(pa.inputs, "metadata.name")).toBe("default");
    expect(at(pa.inputs, "metadata.namespace")).toBe("istio-system");
    expect(at(pa.inputs, "spec")).toEqual({ mtls: { mode: "STRICT" } });
  });

  test("makes the STRICT policy wait for the Job and the record (dependsOn the check component)", () => {
    const deps = h.one(PA, "meshwide-pa-mesh").dependsOn;
    expect(deps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Job::meshwide-check-job$/),
        expect.stringMatching(/ConfigMap::meshwide-check-record$/),
      ]),
    );
  });

  test("writes the record the pack accepts: labelled, scope *, child of the check, after the Job", () => {
    const record = h.one(CM, "meshwide-check-record");
    expect(record.parent).toMatch(/aks-mesh:security:MtlsCompatibilityCheck::meshwide-check$/);
    expect(at(record.inputs, "metadata.labels")).toMatchObject({ [MTLS_CHECK_LABEL]: "true" });
    expect(at(record.inputs, "metadata.annotations")).toMatchObject({
      [MTLS_CHECK_SCOPE_ANNOTATION]: "*",
      [MTLS_CHECK_MODE_ANNOTATION]: "automated",
    });
    expect(record.dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/Job::meshwide-check-job$/)]));
  });

  test("runs the Job without a sidecar, once (no retries), replaced when it failed", () => {
    const job = h.one(JOB, "meshwide-check-job");
    expect(at(job.inputs, "spec.template.metadata.labels")).toMatchObject({ "sidecar.istio.io/inject": "false" });
    expect(at(job.inputs, "metadata.annotations")).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect(at(job.inputs, "spec.backoffLimit")).toBe(0);
    expect(at(job.inputs, "spec.template.spec.restartPolicy")).toBe("Never");
  });

  test("runs the script from the repository in the image pinned by digest, with scope, window and allowlist", () => {
    const job = h.one(JOB, "meshwide-check-job");
    const container = at(job.inputs, "spec.template.spec.containers.0") as Record<string, unknown>;
    expect(container.image).toMatch(/^node:22[^@]*@sha256:[0-9a-f]{64}$/);
    expect(container.command).toEqual(["node", "/check/check.mjs"]);
    const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      PROMETHEUS_URL: "http://prometheus.example:9090",
      MTLS_SCOPE: "*",
      MTLS_WINDOW: "24h",
      MTLS_MIN_REQUESTS: "50",
      MTLS_ALLOWLIST: JSON.stringify(automated.allowlist),
    });
    const script = h.one(CM, "meshwide-check-script");
    expect(Object.keys(at(script.inputs, "data") as object)).toEqual(["check.mjs"]);
  });

  test("starts the Job after Prometheus", () => {
    expect(h.one(JOB, "meshwide-check-job").dependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/ConfigMap::prometheus-ready$/)]),
    );
  });

  test("gives the Job's ServiceAccount only list on pods and namespaces, cluster-wide for a mesh-wide scope", () => {
    const role = h.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "meshwide-check-clusterrole");
    expect(at(role.inputs, "rules")).toEqual([{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["list"] }]);
    const binding = h.one(
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "meshwide-check-clusterrolebinding",
    );
    expect(at(binding.inputs, "subjects")).toEqual([
      { kind: "ServiceAccount", name: "mtls-check", namespace: "istio-system" },
    ]);
  });

  test("sends a port exception on the container port, with its selector and its reason", () => {
    const pa = h.one(PA, "meshwide-pa-wl-keycloak-http");
    expect(at(pa.inputs, "metadata.namespace")).toBe("keycloak");
    expect(at(pa.inputs, "spec")).toEqual({
      selector: { matchLabels: { app: "keycloak" } },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    expect(at(pa.inputs, "metadata.annotations")).toEqual({
      [`${MTLS_EXCEPTION_REASON_ANNOTATION}-port-8080`]: "clients outside the mesh",
    });
  });
});

describe("with NetworkPolicies denying ingress in Prometheus's namespace", () => {
  test("admits only the check's Job pods, on Prometheus's container port, before the Job starts", () => {
    const np = h.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "netpol-check-netpol");
    expect(at(np.inputs, "metadata.namespace")).toBe("monitoring");
    expect(at(np.inputs, "spec.ingress")).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } },
            podSelector: { matchLabels: { "app.kubernetes.io/component": "mtls-check" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 9090 }],
      },
    ]);
    expect(at(h.one(JOB, "netpol-check-job").inputs, "spec.template.metadata.labels")).toMatchObject({
      "app.kubernetes.io/component": "mtls-check",
    });
    expect(h.one(JOB, "netpol-check-job").dependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/NetworkPolicy::netpol-check-netpol$/)]),
    );
  });

  test("adds no NetworkPolicy when none is asked for", () => {
    expect(h.all("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((n) => n.name)).toEqual(["netpol-check-netpol"]);
  });
});

describe("re-running", () => {
  test("gives the Job a new name when the rerun key changes, so the next up runs it again", () => {
    const first = at(h.one(JOB, "meshwide-check-job").inputs, "metadata.name") as string;
    const again = at(h.one(JOB, "rerun-check-job").inputs, "metadata.name") as string;
    expect(first).toMatch(/^mtls-check-[0-9a-f]{10}$/);
    expect(again).toMatch(/^mtls-check-[0-9a-f]{10}$/);
    expect(again).not.toBe(first);
  });

  test("gives the Job a new name when the scope changes", () => {
    const meshWide = at(h.one(JOB, "meshwide-check-job").inputs, "metadata.name");
    expect(at(h.one(JOB, "nscope-check-job").inputs, "metadata.name")).not.toBe(meshWide);
  });
});

describe("a namespace turned STRICT under a PERMISSIVE mesh", () => {
  test("checks only that namespace, with a Role there instead of a ClusterRole", () => {
    expect(at(h.one(CM, "nscope-check-record").inputs, "metadata.annotations")).toMatchObject({
      [MTLS_CHECK_SCOPE_ANNOTATION]: "shop",
    });
    const role = h.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "nscope-check-role-shop");
    expect(at(role.inputs, "metadata.namespace")).toBe("shop");
    expect(at(role.inputs, "rules")).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }]);
    expect(h.all("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").map((r) => r.name)).not.toContain(
      "nscope-check-clusterrole",
    );
  });

  test("makes only the STRICT namespace policy wait for the check", () => {
    expect(h.one(PA, "nscope-pa-ns-shop").dependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/ConfigMap::nscope-check-record$/)]),
    );
    expect(h.one(PA, "nscope-pa-mesh").dependsOn.filter((d) => d.includes("nscope-check"))).toEqual([]);
  });
});

describe("the manual check", () => {
  test("creates no Job and writes the attestation on the record", () => {
    expect(h.all(JOB).map((j) => j.name)).not.toContain("manual-check-job");
    const record = h.one(CM, "manual-check-record");
    expect(at(record.inputs, "metadata.annotations")).toEqual({
      [MTLS_CHECK_SCOPE_ANNOTATION]: "*",
      [MTLS_CHECK_MODE_ANNOTATION]: "manual",
      [MTLS_ATTESTED_AT_ANNOTATION]: "2026-11-20",
      [MTLS_ATTESTATION_VALID_DAYS_ANNOTATION]: "14",
    });
    expect(at(record.inputs, "data")).toEqual({ mode: "manual", what: "Kiali badges, 7 days", by: "ops@example.com" });
  });
});

describe("without a check", () => {
  test("still plans the STRICT policy, with no gate to wait for (the pack refuses it)", () => {
    const pa = h.one(PA, "nocheck-pa-mesh");
    expect(at(pa.inputs, "spec")).toEqual({ mtls: { mode: "STRICT" } });
    expect(pa.dependsOn.filter((d) => d.includes("check"))).toEqual([]);
  });
});

describe("a PERMISSIVE mesh with a check configured", () => {
  test("runs no check while nothing is STRICT", () => {
    expect(h.resources().filter((r) => r.name.startsWith("permissive-check"))).toEqual([]);
  });

  test("writes a namespace exception's reason on its PeerAuthentication", () => {
    const pa = h.one(PA, "permissive-pa-ns-keycloak");
    expect(at(pa.inputs, "spec")).toEqual({ mtls: { mode: "DISABLE" } });
    expect(at(pa.inputs, "metadata.annotations")).toEqual({ [MTLS_EXCEPTION_REASON_ANNOTATION]: "legacy clients" });
  });
});
