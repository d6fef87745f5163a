// What the runner sends a policy pack, checked against what the Pulumi engine sends (pulumi/pulumi
// pkg/resource/plugin/analyzer_plugin.go, pkg/resource/deploy/step_generator.go, default_providers.go).
import * as pulumi from "@pulumi/pulumi";
import { durationSeconds, type EngineRecord } from "../../tools/policy-host/engine-record";
import type { PassResource, PolicyStack } from "../../tools/policy-host/pass";
import {
  analyzeRequest,
  analyzeStackRequest,
  defaultProviderName,
  engineProperties,
  engineResources,
  engineValue,
  secretTexts,
  UNKNOWN_SENTINEL,
} from "../../tools/policy-host/engine";
import { redactor } from "../../tools/policy-host/run";

const SIG = pulumi.runtime.specialSigKey;
const secret = (value: unknown) => ({ [SIG]: pulumi.runtime.specialSecretSig, value });

describe("engineValue", () => {
  test.each([
    ["keeps the unknown sentinel", UNKNOWN_SENTINEL, UNKNOWN_SENTINEL],
    ["keeps a secret as a secret holding its value", secret("s3cr3t"), secret("s3cr3t")],
    [
      "turns a component reference into its URN",
      { [SIG]: pulumi.runtime.specialResourceSig, urn: "urn:pulumi:s::p::a:b:C::c" },
      "urn:pulumi:s::p::a:b:C::c",
    ],
    [
      "turns a custom resource reference into its ID",
      { [SIG]: pulumi.runtime.specialResourceSig, urn: "urn:pulumi:s::p::a:b:C::c", id: "id-1" },
      "id-1",
    ],
    [
      "keeps a custom resource reference's unknown ID unknown",
      { [SIG]: pulumi.runtime.specialResourceSig, urn: "urn:pulumi:s::p::a:b:C::c", id: UNKNOWN_SENTINEL },
      UNKNOWN_SENTINEL,
    ],
    [
      "turns an unknown output value into the sentinel",
      { [SIG]: "d0e6a833031e9bbcd3f4e8bde6ca49a4" },
      UNKNOWN_SENTINEL,
    ],
    [
      "turns a secret output value into a secret",
      { [SIG]: "d0e6a833031e9bbcd3f4e8bde6ca49a4", value: "v", secret: true },
      secret("v"),
    ],
    [
      "converts inside arrays and objects",
      { a: [secret(1), { b: UNKNOWN_SENTINEL }] },
      { a: [secret(1), { b: UNKNOWN_SENTINEL }] },
    ],
    ["keeps null", null, null],
  ])("%s", (_name, input, expected) => {
    expect(engineValue(input)).toEqual(expected);
  });

  test("drops top-level internal keys only (SkipInternalKeys)", () => {
    expect(engineProperties({ __defaults: ["x"], spec: { __keep: 1 } })).toEqual({ spec: { __keep: 1 } });
  });
});

describe("secretTexts and redactor", () => {
  test("find the text of every secret, however deep, and nothing else", () => {
    const texts = secretTexts([{ a: secret("first-secret"), b: "public-text", c: [secret({ d: "second-secret" })] }]);
    expect(texts.sort()).toEqual(["first-secret", "second-secret"]);
  });

  test("blank out a secret quoted raw or as a JSON string", () => {
    const redact = redactor(['line1\n"quoted"']);
    expect(redact('raw line1\n"quoted" and json "line1\\n\\"quoted\\""')).toBe('raw [secret] and json "[secret]"');
  });
});

test.each([
  ["3.28.0", "default_3_28_0"],
  ["1.2.3-alpha.1", "default_1_2_3_alpha_1"],
  ["", "default"],
])("names the default provider of version %j %s", (version, name) => {
  expect(defaultProviderName(version)).toBe(name);
});

test.each([
  ["", 0],
  ["45s", 45],
  ["10m", 600],
  ["1h30m", 5400],
])("reads the custom timeout %j as %d seconds", (text, seconds) => {
  expect(durationSeconds(text)).toBe(seconds);
});

describe("engineResources", () => {
  const stack: PolicyStack = {
    project: "aks-mesh",
    stack: "dev",
    config: { "azure-native:location": "koreacentral", "azure-native:clientSecret": "very-secret", "aks-mesh:x": "1" },
    secretKeys: ["azure-native:clientSecret"],
  };
  const urn = (qualified: string, name: string) => `urn:pulumi:dev::aks-mesh::${qualified}::${name}`;
  const resource = (r: Partial<PassResource> & Pick<PassResource, "urn" | "type" | "name">): PassResource => ({
    parent: null,
    dependsOn: [],
    protect: false,
    custom: true,
    inputs: {},
    ...r,
  });
  const stackUrn = urn("pulumi:pulumi:Stack", "aks-mesh-dev");
  const providerUrn = urn("pulumi:providers:kubernetes", "k8s");
  const resources: PassResource[] = [
    resource({ urn: stackUrn, type: "pulumi:pulumi:Stack", name: "aks-mesh-dev", custom: false }),
    resource({
      urn: urn("azure-native:network:PublicIPAddress", "ip"),
      type: "azure-native:network:PublicIPAddress",
      name: "ip",
      parent: stackUrn,
      protect: true,
      inputs: { publicIpAddressName: "ip", __internal: true },
    }),
    resource({
      urn: providerUrn,
      type: "pulumi:providers:kubernetes",
      name: "k8s",
      parent: stackUrn,
      inputs: { kubeconfig: secret("cfg") },
    }),
    resource({
      urn: urn("kubernetes:core/v1:Namespace", "ns"),
      type: "kubernetes:core/v1:Namespace",
      name: "ns",
      parent: stackUrn,
      dependsOn: [providerUrn],
      inputs: { metadata: { name: UNKNOWN_SENTINEL } },
    }),
  ];
  const record: EngineRecord = {
    details: {
      [urn("kubernetes:core/v1:Namespace", "ns")]: {
        provider: `${providerUrn}::${UNKNOWN_SENTINEL}`,
        version: "4.34.2",
        propertyDependencies: { metadata: [providerUrn] },
        options: {
          ignoreChanges: ["spec"],
          additionalSecretOutputs: [],
          aliases: [],
          customTimeouts: { create: 600, update: 0, delete: 0 },
        },
        outputs: { metadata: { name: UNKNOWN_SENTINEL } },
      },
      [urn("azure-native:network:PublicIPAddress", "ip")]: {
        provider: "",
        version: "3.28.0",
        propertyDependencies: {},
        options: {
          ignoreChanges: [],
          additionalSecretOutputs: [],
          aliases: [],
          customTimeouts: { create: 0, update: 0, delete: 0 },
        },
        outputs: { publicIpAddressName: "ip", ipAddress: "20.249.144.238" },
      },
    },
    defaultProviders: [{ pkg: "azure-native", version: "3.28.0", before: 1 }],
  };
  const views = engineResources(stack, resources, record);
  const view = (name: string) => {
    const found = views.find((v) => v.name === name);
    if (!found) throw new Error(`no view ${name}`);
    return found;
  };

  test("registers the default provider right before its first user, with its package config and version", () => {
    expect(views.map((v) => v.name)).toEqual(["aks-mesh-dev", "default_3_28_0", "ip", "k8s", "ns"]);
    expect(view("default_3_28_0").urn).toBe(urn("pulumi:providers:azure-native", "default_3_28_0"));
    expect(view("default_3_28_0").properties).toEqual({
      location: "koreacentral",
      clientSecret: secret("very-secret"),
      version: "3.28.0",
    });
  });

  test("gives a resource on a default provider that provider", () => {
    expect(view("ip").provider).toEqual(
      expect.objectContaining({ urn: view("default_3_28_0").urn, name: "default_3_28_0" }),
    );
  });

  test("gives a resource on an explicit provider that provider with its inputs", () => {
    expect(view("ns").provider).toEqual({
      urn: providerUrn,
      type: "pulumi:providers:kubernetes",
      name: "k8s",
      properties: { kubeconfig: secret("cfg") },
    });
  });

  test("gives components, providers and the stack no provider", () => {
    expect(view("aks-mesh-dev").provider).toBeUndefined();
    expect(view("k8s").provider).toBeUndefined();
  });

  test("sends Analyze the inputs with the resource options", () => {
    const req = analyzeRequest(view("ns")).toObject();
    expect(analyzeRequest(view("ns")).getProperties()?.toJavaScript()).toEqual({
      metadata: { name: UNKNOWN_SENTINEL },
    });
    expect(req.options).toEqual(
      expect.objectContaining({
        protect: false,
        ignorechangesList: ["spec"],
        parent: stackUrn,
        customtimeouts: { create: 600, update: 0, pb_delete: 0, read: 0 },
        deletebeforereplacedefined: false,
      }),
    );
    expect(analyzeRequest(view("ip")).getProperties()?.toJavaScript()).toEqual({ publicIpAddressName: "ip" });
    expect(analyzeRequest(view("ip")).getOptions()?.getProtect()).toBe(true);
  });

  test("sends AnalyzeStack every resource with its outputs, parent, dependencies and property dependencies", () => {
    const sent = analyzeStackRequest(views).getResourcesList();
    expect(sent.map((r) => r.getName())).toEqual(["aks-mesh-dev", "default_3_28_0", "ip", "k8s", "ns"]);
    const ip = sent.find((r) => r.getName() === "ip");
    expect(ip?.getProperties()?.toJavaScript()).toEqual({ publicIpAddressName: "ip", ipAddress: "20.249.144.238" });
    const ns = sent.find((r) => r.getName() === "ns");
    expect(ns?.getParent()).toBe(stackUrn);
    expect(ns?.getDependenciesList()).toEqual([providerUrn]);
    expect(ns?.getPropertydependenciesMap().get("metadata")?.getUrnsList()).toEqual([providerUrn]);
  });
});
