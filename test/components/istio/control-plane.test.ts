import { type Harness, mockRuntime } from "../../harness";
import type { IstioControlPlaneArgs } from "../../../components/istio";

const RELEASE = "kubernetes:helm.sh/v3:Release";

const args: IstioControlPlaneArgs = {
  version: "1.23.4",
  revision: "1-23-4",
  chartRepository: "https://istio-release.storage.googleapis.com/charts",
  hub: "docker.io/istio",
  accessLog: { enabled: true, encoding: "JSON" },
  outboundTrafficPolicy: "REGISTRY_ONLY",
  pilot: { minReplicas: 2, maxReplicas: 5, resources: { requests: { cpu: "500m", memory: "2Gi" } } },
  proxyResources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
  timeoutSeconds: 600,
};

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime();
  const { IstioControlPlane } = await import("../../../components/istio");
  new IstioControlPlane("istio", args);
  new IstioControlPlane("single", { ...args, pilot: { ...args.pilot, minReplicas: 1, maxReplicas: 1 } });
  // dev's release: the lowest Istio that runs on a Kubernetes version AKS still offers (Pulumi.dev.yaml).
  new IstioControlPlane("dev", { ...args, version: "1.25.5", revision: "1-25-5" });
  await h.settle();
});

const base = () => h.one(RELEASE, "istio-base");
const istiod = () => h.one(RELEASE, "istio-istiod");
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
  const devIstiod = () => h.one(RELEASE, "dev-istiod");

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
  expect(Object.keys(fields)).toHaveLength(25);
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
  const single = h.one(RELEASE, "single-istiod").inputs.values as Values;
  expect((single.global as { defaultPodDisruptionBudget: unknown }).defaultPodDisruptionBudget).toEqual({
    enabled: false,
  });
  const ha = istiod().inputs.values as Values;
  expect((ha.global as { defaultPodDisruptionBudget: unknown }).defaultPodDisruptionBudget).toEqual({ enabled: true });
});

test("rolls a failed release back instead of leaving a half-applied control plane", () => {
  for (const r of [base(), istiod()]) expect(r.inputs.atomic).toBe(true);
});
