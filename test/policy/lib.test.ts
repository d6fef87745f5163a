import {
  at,
  hostsMatch,
  kubeObject,
  parseDuration,
  parseQuantity,
  plain,
  UNKNOWN,
  UNKNOWN_SENTINELS,
} from "../../policy/lib";
import { policyProxy, UNKNOWN_STRING } from "./fixtures";

describe("policy/lib", () => {
  it("knows every sentinel @pulumi/policy uses for unknown values", () => {
    const sentinels = [
      policyProxy.unknownBooleanValue,
      policyProxy.unknownNumberValue,
      policyProxy.unknownStringValue,
      policyProxy.unknownArrayValue,
      policyProxy.unknownAssetValue,
      policyProxy.unknownArchiveValue,
      policyProxy.unknownObjectValue,
    ];
    expect([...UNKNOWN_SENTINELS].sort()).toEqual([...sentinels].sort());
  });

  it("reads through the policy server's proxy without tripping on unknown values", () => {
    const props = policyProxy.unknownCheckingProxy({ metadata: { name: UNKNOWN_STRING, labels: { a: "b" } } });
    expect(() => props.metadata && (props.metadata as Record<string, unknown>).name).toThrow(
      policyProxy.UnknownValueError,
    );
    const view = plain(props);
    expect(at(view, "metadata", "name")).toBe(UNKNOWN);
    expect(at(view, "metadata", "labels", "a")).toBe("b");
    expect(at(view, "metadata", "name", "deeper")).toBe(UNKNOWN);
  });

  it("treats a namespaced object without a namespace as the provider's default namespace", () => {
    const o = kubeObject(
      "kubernetes:networking.istio.io/v1:Gateway",
      { apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name: "g" } },
      "urn",
    );
    expect(o?.namespace).toBe("default");
    expect(o?.group).toBe("networking.istio.io");
  });

  it("reads a NamespacePatch as a partial Namespace", () => {
    const o = kubeObject(
      "kubernetes:core/v1:NamespacePatch",
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "web" } },
      "urn",
    );
    expect(o).toMatchObject({ kind: "Namespace", isPatch: true, group: "" });
  });

  it.each([
    ["1Gi", 2 ** 30],
    ["1024Mi", 2 ** 30],
    ["1000M", 1e9],
    ["500m", 0.5],
    ["1e3", 1000],
    ["2", 2],
  ])("parses the quantity %s", (q, v) => {
    expect(parseQuantity(q)).toBeCloseTo(v);
  });

  it("refuses what is not a quantity", () => {
    expect(parseQuantity("1 GB")).toBeUndefined();
  });

  it.each([
    ["30s", 30],
    ["1.5s", 1.5],
    ["100ms", 0.1],
    ["1m30s", 90],
    ["2h", 7200],
  ])("parses the duration %s", (d, s) => {
    expect(parseDuration(d)).toBeCloseTo(s);
  });

  it.each([
    ["*.example.com", "app.example.com", true],
    ["app.example.com", "*.example.com", true],
    ["*.example.com", "*.app.example.com", true],
    ["app.example.com", "api.example.com", false],
    ["*", "anything.example.org", true],
  ])("matches host %s against %s like Istio's host.Name", (a, b, m) => {
    expect(hostsMatch(a, b)).toBe(m);
  });
});
