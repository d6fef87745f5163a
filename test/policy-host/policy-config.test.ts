// The stack's policy config as the engine reconciles it before Configure (pulumi/pulumi
// pkg/resource/analyzer/config.go): levels and schema defaults, then the pack's initial config, then the file.
import fs from "node:fs";
import path from "node:path";
import {
  type AnalyzerInfo,
  PolicyConfigError,
  readPolicyConfigFile,
  reconcilePolicyConfig,
} from "../../tools/policy-host/config";
import { tempDir } from "../harness";

const info: AnalyzerInfo = {
  name: "aks-mesh",
  version: "0.1.0",
  supportsConfig: true,
  policies: [
    {
      name: "proxy-memory-limit",
      description: "caps proxy memory",
      enforcementLevel: "mandatory",
      kind: "resource",
      configSchema: { properties: { maxMemory: { type: "string", default: "1Gi" } }, required: [] },
    },
    { name: "istio-version-pinned", description: "pins Istio", enforcementLevel: "advisory", kind: "resource" },
  ],
  initialConfig: {},
};

function file(text: string): string {
  const f = path.join(tempDir("policy-config-"), "stack.json");
  fs.writeFileSync(f, text);
  return f;
}

describe("reconcilePolicyConfig", () => {
  test("starts from each policy's level and schema defaults", () => {
    expect(reconcilePolicyConfig(info, {}, "defaults")).toEqual({
      "proxy-memory-limit": { enforcementLevel: "mandatory", properties: { maxMemory: "1Gi" } },
      "istio-version-pinned": { enforcementLevel: "advisory", properties: {} },
    });
  });

  test("applies the pack's initial config, then the file's", () => {
    const withInitial = { ...info, initialConfig: { "proxy-memory-limit": { properties: { maxMemory: "2Gi" } } } };
    const result = reconcilePolicyConfig(withInitial, { "proxy-memory-limit": { enforcementLevel: "advisory" } }, "f");
    expect(result["proxy-memory-limit"]).toEqual({ enforcementLevel: "advisory", properties: { maxMemory: "2Gi" } });
  });

  test('sets every level with "all" and lets a named policy override it', () => {
    const result = reconcilePolicyConfig(
      info,
      { all: { enforcementLevel: "disabled" }, "istio-version-pinned": { enforcementLevel: "mandatory" } },
      "f",
    );
    expect(result["proxy-memory-limit"]?.enforcementLevel).toBe("disabled");
    expect(result["istio-version-pinned"]?.enforcementLevel).toBe("mandatory");
  });

  test("rejects a property against the policy's schema, naming the source and the key", () => {
    expect(() =>
      reconcilePolicyConfig(info, { "proxy-memory-limit": { properties: { maxMemory: 1024 } } }, "policy/prod.json"),
    ).toThrow(/policy\/prod\.json: proxy-memory-limit\.maxMemory: must be string/);
  });

  test("rejects a name that is no policy of the pack, suggesting the closest", () => {
    expect(() =>
      reconcilePolicyConfig(info, { "proxy-memory-limt": { enforcementLevel: "advisory" } }, "policy/dev.json"),
    ).toThrow(
      /policy\/dev\.json: "proxy-memory-limt" is not a policy of pack aks-mesh \(did you mean proxy-memory-limit\?\)/,
    );
  });

  test("rejects config for a pack that does not support it", () => {
    expect(() =>
      reconcilePolicyConfig({ ...info, supportsConfig: false }, { all: { enforcementLevel: "advisory" } }, "f"),
    ).toThrow(PolicyConfigError);
  });
});

describe("readPolicyConfigFile", () => {
  test("reads levels and objects of properties, with enforcementLevel taken out", () => {
    const f = file(JSON.stringify({ a: "mandatory", b: { enforcementLevel: "advisory", limit: 3 }, c: {} }));
    expect(readPolicyConfigFile(f)).toEqual({
      a: { enforcementLevel: "mandatory" },
      b: { enforcementLevel: "advisory", properties: { limit: 3 } },
    });
  });

  test("reads an empty file as no config", () => {
    expect(readPolicyConfigFile(file("  \n"))).toEqual({});
  });

  test.each([
    ["invalid JSON", "{", /not valid JSON/],
    ["a list", "[]", /must be a JSON object/],
    ["an unknown level", '{"a": "strict"}', /a: "strict" is not an enforcement level/],
    ["a number", '{"a": 3}', /a: must be an enforcement level or an object/],
    [
      "a bad level inside an object",
      '{"a": {"enforcementLevel": 1}}',
      /a\.enforcementLevel: 1 is not an enforcement level/,
    ],
    ["ESC environments", '{"environments": ["prod"]}', /"environments" \(Pulumi ESC\) cannot be resolved offline/],
  ])("rejects %s, naming the file", (_what, text, message) => {
    const f = file(text);
    expect(() => readPolicyConfigFile(f)).toThrow(PolicyConfigError);
    expect(() => readPolicyConfigFile(f)).toThrow(message);
    expect(() => readPolicyConfigFile(f)).toThrow(/stack\.json/);
  });
});
