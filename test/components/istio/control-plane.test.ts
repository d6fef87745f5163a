import { type Harness, mockRuntime } from "../../harness";
import { type MeshConfig, parseConfig } from "../../../config";
import type { IstioControlPlane } from "../../../components/istio";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const WEBHOOK = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration";

const prodIstio = {
  version: "1.23.4",
  revision: "1-23-4",
  outboundTrafficPolicy: "REGISTRY_ONLY",
  pilot: { minReplicas: 2, maxReplicas: 5, resources: { requests: { cpu: "500m", memory: "2Gi" } } },
  proxy: { resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } } },
};

/** A validated config, as index.ts hands it to the control plane. */
function config(istio: Record<string, unknown>, extra: Record<string, string> = {}): MeshConfig {
  return parseConfig(
    {
      "aks-mesh:environment": "development",
      "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
      "aks-mesh:istio": JSON.stringify(istio),
      ...extra,
    },
    { project: "aks-mesh", stack: "test" },
  );
}

let h: Harness;
let tagged: IstioControlPlane;
let plain: IstioControlPlane;
const seenOptions = new Map<string, { ignoreChanges?: string[] }>();
beforeAll(async () => {
  h = await mockRuntime();
  const k8s = await import("@pulumi/kubernetes");
  const { IstioControlPlane, IstiodRevision } = await import("../../../components/istio");
  const cluster = { provider: new k8s.Provider("k8s", {}) };
  plain = new IstioControlPlane("istio", { config: config(prodIstio), handles: { cluster } });
  new IstioControlPlane("single", {
    config: config({ ...prodIstio, pilot: { ...prodIstio.pilot, minReplicas: 1, maxReplicas: 1 } }),
    handles: { cluster },
  });
  // dev's release: the lowest Istio that runs on a Kubernetes version AKS still offers (Pulumi.dev.yaml).
  new IstioControlPlane("dev", {
    config: config({ ...prodIstio, version: "1.25.5", revision: "1-25-5" }),
    handles: { cluster },
  });
  tagged = new IstioControlPlane(
    "addon",
    {
      config: config({
        ...prodIstio,
        namespace: "aks-istio-system",
        revisionTags: ["stable", "next"],
        injectionTag: "stable",
      }),
      handles: { cluster },
    },
    {
      transformations: [
        (a) => {
          seenOptions.set(a.name, a.opts);
          return undefined;
        },
      ],
    },
  );
  new IstioControlPlane("traced", {
    config: config(prodIstio, {
      "aks-mesh:observability": JSON.stringify({ host: "monitoring.example.com", namespace: "telemetry" }),
      "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0TEST000/B0TEST000/test-webhook-value",
    }),
    handles: { cluster },
  });
  // Two revisions side by side, as a canary upgrade runs them.
  const c = config(prodIstio).istio;
  // The JWT section's contribution (config/security/jwt.ts) as the control plane receives it.
  new IstiodRevision("jwks-istiod", {
    version: c.version,
    revision: c.revision,
    chartRepository: c.chartRepository,
    namespace: c.namespace,
    timeoutSeconds: c.helmTimeoutSeconds,
    hub: c.hub,
    accessLog: c.accessLog,
    outboundTrafficPolicy: c.outboundTrafficPolicy,
    pilot: c.pilot,
    proxyResources: c.proxy.resources,
    meshConfig: { ...c.meshConfig, istiodEnv: { PILOT_JWT_ENABLE_REMOTE_JWKS: "hybrid" } },
  });
  const revision = (rev: string, version: string) =>
    new IstiodRevision(`pair-istiod-${rev}`, {
      version,
      revision: rev,
      chartRepository: c.chartRepository,
      namespace: c.namespace,
      timeoutSeconds: c.helmTimeoutSeconds,
      hub: c.hub,
      accessLog: c.accessLog,
      outboundTrafficPolicy: c.outboundTrafficPolicy,
      pilot: c.pilot,
      proxyResources: c.proxy.resources,
      meshConfig: c.meshConfig,
    });
  revision("1-23-4", "1.23.4");
  revision("1-25-5", "1.25.5");
  await h.settle();
});

const base = () => h.one(RELEASE, "istio-base");
const istiod = () => h.one(RELEASE, "istio-istiod-1-23-4");
type Values = Record<string, Record<string, unknown>>;

test("pins both charts to the configured version from the official repository", () => {
  for (const r of [base(), istiod()]) {
    expect(r.inputs.version).toBe("1.23.4");
    expect(r.inputs.repositoryOpts).toEqual({ repo: "https://istio-release.storage.googleapis.com/charts" });
  }
  expect(base().inputs.chart).toBe("base");
  expect(istiod().inputs.chart).toBe("istiod");
});

test("installs istiod only after base, so the CRDs and default webhook exist first", () => {
  expect(istiod().dependsOn).toContain(base().urn);
  expect(base().dependsOn).not.toContain(istiod().urn);
});

test("renders the CRDs as templates and skips the crds/ folder, so upgrades update them and deletes keep them", () => {
  expect(base().inputs.skipCrds).toBe(true);
  expect((base().inputs.values as Values).base).toEqual({ enableCRDTemplates: true });
});

describe("Istio 1.25.5, dev's version", () => {
  const devBase = () => h.one(RELEASE, "dev-base");
  const devIstiod = () => h.one(RELEASE, "dev-istiod-1-25-5");

  test("installs base and istiod 1.25.5, istiod as revision 1-25-5 with the 1.25.5 images", () => {
    expect([devBase().inputs.version, devIstiod().inputs.version]).toEqual(["1.25.5", "1.25.5"]);
    expect(devIstiod().inputs.name).toBe("istiod-1-25-5");
    const values = devIstiod().inputs.values as Values;
    expect(values.revision).toBe("1-25-5");
    expect((values.global as Record<string, unknown>).tag).toBe("1.25.5");
    expect((devBase().inputs.values as Values).defaultRevision).toBe("1-25-5");
  });

  test("leaves base.enableCRDTemplates to the chart, whose default renders the CRDs as templates from 1.24", () => {
    expect(devBase().inputs.values as Values).not.toHaveProperty("base");
    expect(devBase().inputs.skipCrds).toBe(true);
  });

  test("sends istiod's sizing under pilot, which the 1.24+ chart still copies to its flattened keys", () => {
    expect((devIstiod().inputs.values as Values).pilot).toMatchObject({
      replicaCount: 2,
      autoscaleMin: 2,
      autoscaleMax: 5,
    });
  });
});

test("points the default validating webhook at this revision", () => {
  expect((base().inputs.values as Values).defaultRevision).toBe("1-23-4");
});

test("names the istiod release and its revision after the version, so a canary revision can run beside it", () => {
  expect(istiod().inputs.name).toBe("istiod-1-23-4");
  expect((istiod().inputs.values as Values).revision).toBe("1-23-4");
});

test("gives two revisions side by side distinct release names, each installing its own revision", () => {
  const pair = ["1-23-4", "1-25-5"].map((rev) => h.one(RELEASE, `pair-istiod-${rev}`));
  expect(pair.map((r) => r.inputs.name)).toEqual(["istiod-1-23-4", "istiod-1-25-5"]);
  expect(pair.map((r) => (r.inputs.values as Values).revision)).toEqual(["1-23-4", "1-25-5"]);
  expect(pair.map((r) => ((r.inputs.values as Values).global as { tag: string }).tag)).toEqual(["1.23.4", "1.25.5"]);
});

test("pins the images to the chart version", () => {
  const global = (istiod().inputs.values as Values).global as Record<string, unknown>;
  expect(global.hub).toBe("docker.io/istio");
  expect(global.tag).toBe("1.23.4");
});

test("sends the sidecar resources with the 1Gi memory limit to every injected proxy", () => {
  const global = (istiod().inputs.values as Values).global as { proxy: unknown };
  expect(global.proxy).toEqual({
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
  });
});

test("turns the access log on and applies the outbound traffic policy", () => {
  const mesh = (istiod().inputs.values as Values).meshConfig as Record<string, unknown>;
  expect(mesh.accessLogFile).toBe("/dev/stdout");
  expect(mesh.accessLogEncoding).toBe("JSON");
  expect(mesh.outboundTrafficPolicy).toEqual({ mode: "REGISTRY_ONLY" });
});

test("logs the trace id with Istio's default JSON access log fields, so a log line links to its trace", () => {
  const mesh = (istiod().inputs.values as Values).meshConfig as { accessLogFormat: string };
  const fields = JSON.parse(mesh.accessLogFormat) as Record<string, string>;
  expect(fields.trace_id).toBe("%TRACE_ID%");
  expect(fields).toMatchObject({
    response_code: "%RESPONSE_CODE%",
    response_flags: "%RESPONSE_FLAGS%",
    upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
    request_id: "%REQ(X-REQUEST-ID)%",
  });
  // Istio's 24 default fields, the trace id and the 4 authorization dry-run fields.
  expect(Object.keys(fields)).toHaveLength(29);
});

test("logs the authorization dry-run result and policy from the RBAC filter's dynamic metadata", () => {
  const mesh = (istiod().inputs.values as Values).meshConfig as { accessLogFormat: string };
  const fields = JSON.parse(mesh.accessLogFormat) as Record<string, string>;
  // Keys: Envoy's shadow_engine_result / shadow_effective_policy_id under Istio's shadow stat prefixes
  // (pilot/pkg/security/authz/model/model.go, 1.23.4).
  expect(fields).toMatchObject({
    authz_dry_run_allow_result: "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_allow_shadow_engine_result)%",
    authz_dry_run_allow_policy:
      "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_allow_shadow_effective_policy_id)%",
    authz_dry_run_deny_result: "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_deny_shadow_engine_result)%",
    authz_dry_run_deny_policy:
      "%DYNAMIC_METADATA(envoy.filters.http.rbac:istio_dry_run_deny_shadow_effective_policy_id)%",
  });
});

test("sends istiod's environment only when an area asks for one (the JWT section's JWKS fetch mode)", () => {
  expect((istiod().inputs.values as Values).pilot).not.toHaveProperty("env");
  const jwks = h.one(RELEASE, "jwks-istiod").inputs.values as Values;
  expect((jwks.pilot as { env: unknown }).env).toEqual({ PILOT_JWT_ENABLE_REMOTE_JWKS: "hybrid" });
});

test("sizes istiod from config and autoscales it between the bounds", () => {
  expect((istiod().inputs.values as Values).pilot).toEqual({
    autoscaleEnabled: true,
    autoscaleMin: 2,
    autoscaleMax: 5,
    replicaCount: 2,
    resources: { requests: { cpu: "500m", memory: "2Gi" } },
  });
});

test("disables istiod's PodDisruptionBudget with a single replica, which would block every node drain", () => {
  const single = h.one(RELEASE, "single-istiod-1-23-4").inputs.values as Values;
  expect((single.global as { defaultPodDisruptionBudget: unknown }).defaultPodDisruptionBudget).toEqual({
    enabled: false,
  });
  const ha = istiod().inputs.values as Values;
  expect((ha.global as { defaultPodDisruptionBudget: unknown }).defaultPodDisruptionBudget).toEqual({ enabled: true });
});

test("rolls a failed release back instead of leaving a half-applied control plane", () => {
  for (const r of [base(), istiod()]) expect(r.inputs.atomic).toBe(true);
});

describe("the releases answer to their URNs from before the split into IstioBase and IstiodRevision", () => {
  const old = (name: string) => `urn:pulumi:test::aks-mesh::aks-mesh:istio:IstioControlPlane$${RELEASE}::${name}`;

  test("base's release answers to IstioControlPlane's istio-base", () => {
    expect(base().urn).not.toBe(old("istio-base"));
    expect(base().aliases).toEqual([old("istio-base")]);
  });

  test("the current revision's release answers to IstioControlPlane's istio-istiod", () => {
    expect(istiod().aliases).toEqual([old("istio-istiod")]);
  });

  test("a revision built on its own (a canary) answers to no old URN", () => {
    expect(h.one(RELEASE, "pair-istiod-1-25-5").aliases).toEqual([]);
  });
});

describe("meshConfig contributions of other areas", () => {
  test("renders observability's tracing provider into istiod's meshConfig", () => {
    const mesh = (h.one(RELEASE, "traced-istiod-1-23-4").inputs.values as Values).meshConfig as Record<string, unknown>;
    expect(mesh.extensionProviders).toEqual([
      { name: "jaeger", opentelemetry: { service: "jaeger.telemetry.svc.cluster.local", port: 4317 } },
    ]);
  });

  test("sends no extensionProviders when no area contributes one", () => {
    expect((istiod().inputs.values as Values).meshConfig).not.toHaveProperty("extensionProviders");
    expect(plain.meshConfig).toEqual({ extensionProviders: [], istiodEnv: {} });
  });
});

describe("the control-plane namespace comes from config (istio.namespace)", () => {
  test("installs both releases and points istiod's global.istioNamespace there", () => {
    for (const name of ["addon-base", "addon-istiod-1-23-4"]) {
      const r = h.one(RELEASE, name);
      expect(r.inputs.namespace).toBe("aks-istio-system");
      expect(((r.inputs.values as Values).global as { istioNamespace: string }).istioNamespace).toBe(
        "aks-istio-system",
      );
    }
  });

  test("defaults to istio-system and hands the namespace to other areas", () => {
    expect(base().inputs.namespace).toBe("istio-system");
    expect(plain.namespace).toBe("istio-system");
    expect(tagged.namespace).toBe("aks-istio-system");
  });
});

describe("revision tags, rendered as istioctl tag set renders them", () => {
  const tag = () => h.one(WEBHOOK, "addon-tag-stable");
  type Hook = {
    name: string;
    clientConfig: { service: unknown; caBundle?: string };
    namespaceSelector: unknown;
    objectSelector: unknown;
    failurePolicy: string;
    rules: unknown;
    sideEffects: string;
    admissionReviewVersions: string[];
  };
  const hooks = () => tag().inputs.webhooks as Hook[];

  test("names the object after the tag, with the namespace appended outside istio-system as the chart does", () => {
    expect((tag().inputs.metadata as { name: string }).name).toBe("istio-revision-tag-stable-aks-istio-system");
  });

  test("labels it with the tag and the revision, which istiod's cert patcher and tag watcher select on", () => {
    expect((tag().inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
      "istio.io/tag": "stable",
      "istio.io/rev": "1-23-4",
      app: "sidecar-injector",
    });
  });

  test("injects pods of namespaces labelled istio.io/rev=<tag> unless they opt out", () => {
    const ns = hooks().find((w) => w.name === "rev.namespace.sidecar-injector.istio.io");
    expect(ns?.namespaceSelector).toEqual({
      matchExpressions: [
        { key: "istio.io/rev", operator: "In", values: ["stable"] },
        { key: "istio-injection", operator: "DoesNotExist" },
      ],
    });
    expect(ns?.objectSelector).toEqual({
      matchExpressions: [{ key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] }],
    });
  });

  test("injects pods labelled istio.io/rev=<tag> in namespaces without an injection label", () => {
    const obj = hooks().find((w) => w.name === "rev.object.sidecar-injector.istio.io");
    expect(obj?.namespaceSelector).toEqual({
      matchExpressions: [
        { key: "istio.io/rev", operator: "DoesNotExist" },
        { key: "istio-injection", operator: "DoesNotExist" },
      ],
    });
    expect(obj?.objectSelector).toEqual({
      matchExpressions: [
        { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] },
        { key: "istio.io/rev", operator: "In", values: ["stable"] },
      ],
    });
  });

  test("sends both webhooks to the revision's istiod Service, failing closed, with no caBundle of its own", () => {
    expect(hooks()).toHaveLength(2);
    for (const w of hooks()) {
      expect(w.clientConfig).toEqual({
        service: { name: "istiod-1-23-4", namespace: "aks-istio-system", path: "/inject", port: 443 },
      });
      expect(w.failurePolicy).toBe("Fail");
      expect(w.sideEffects).toBe("None");
      expect(w.admissionReviewVersions).toEqual(["v1"]);
      expect(w.rules).toEqual([{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }]);
    }
  });

  test("leaves the caBundle istiod patches in to istiod", () => {
    expect(seenOptions.get("addon-tag-stable")?.ignoreChanges).toEqual(["webhooks[*].clientConfig.caBundle"]);
  });

  test("creates each tag after its revision's istiod, and counts it in ready", () => {
    const istiodUrn = h.one(RELEASE, "addon-istiod-1-23-4").urn;
    for (const t of ["stable", "next"]) expect(h.one(WEBHOOK, `addon-tag-${t}`).dependsOn).toEqual([istiodUrn]);
    expect(tagged.ready).toHaveLength(4);
  });

  test("keeps tags out of the istiod release's values, so no Helm release owns them", () => {
    expect(h.one(RELEASE, "addon-istiod-1-23-4").inputs.values as Values).not.toHaveProperty("revisionTags");
  });

  test("hands namespaces and gateways the tag to carry in istio.io/rev, or the revision when none is chosen", () => {
    expect(tagged.injectionRevision).toBe("stable");
    expect(plain.injectionRevision).toBe("1-23-4");
  });

  test("renders no tag webhook when the stack names no tag", () => {
    expect(h.all(WEBHOOK).map((w) => w.name)).toEqual(["addon-tag-stable", "addon-tag-next"]);
  });
});
