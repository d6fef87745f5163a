// Reading the live export (`kubectl get ... -A -o yaml`) and the policy config that carries it to the pack.
import fs from "node:fs";
import path from "node:path";
import { LIVE_OBJECTS_PROPERTY, LIVE_POLICIES } from "../../policy/live";
import type { PlannedResource } from "../../tools/plan/contract";
import { LiveExportError, liveInventory, liveJson, readLiveExport } from "../../tools/plan/live";
import { liveConfig } from "../../tools/plan/live-config";
import { readPolicyConfigFile } from "../../tools/policy-host";
import { ROOT, tempDir } from "../harness";

const FIXTURE = path.join(ROOT, "test", "fixtures", "live", "prod-hand-installed.yaml");

function exportFile(text: string): string {
  const file = path.join(tempDir("live-"), "live.yaml");
  fs.writeFileSync(file, text);
  return file;
}

/** The error readLiveExport throws for this text. */
function problem(text: string): string {
  const file = exportFile(text);
  try {
    readLiveExport(file);
  } catch (e) {
    if (e instanceof LiveExportError) return e.message;
    throw e;
  }
  throw new Error("no error");
}

describe("reading the live export", () => {
  const objects = readLiveExport(FIXTURE);

  it("reads every item of the hand-installed mesh's export", () => {
    expect(objects).toHaveLength(8);
    expect(objects.filter((o) => o.kind !== "Namespace").map((o) => o.kind)).toEqual([
      "Gateway",
      "VirtualService",
      "DestinationRule",
      "PeerAuthentication",
    ]);
  });

  it("keeps identity, labels, creation time and spec, and drops status, server fields and kubectl's copy of the object", () => {
    const gw = objects[0] as Record<string, Record<string, unknown>>;
    expect(Object.keys(gw).sort()).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(gw.metadata).toEqual({
      name: "istio-ingressgateway",
      namespace: "istio-system",
      creationTimestamp: "2025-03-11T02:14:09Z",
    });
    expect(JSON.stringify(objects)).not.toContain("last-applied-configuration");
    expect(JSON.stringify(objects)).not.toContain('"status"');
  });

  it.each([
    ["a missing file", null, /cannot read the live export \(ENOENT\)/],
    ["broken YAML", "items: [\n", /not a live export: /],
    ["one object instead of a List", "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n", /no `kind: List` with `items`/],
    [
      "an object of another kind",
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web, namespace: web}\n",
      /items\[0\] \(web\/web\) is a apps\/v1 Deployment: the inventory reads Istio objects and Namespaces only/,
    ],
    [
      "an Istio object without a namespace",
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Gateway\n  metadata: {name: gw}\n",
      /items\[0\] \(gw\) has no metadata.namespace/,
    ],
    [
      "an item without a name",
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Gateway\n  metadata: {}\n",
      /items\[0\] has no metadata.name/,
    ],
  ])("refuses %s, naming the file", (_what, text, message) => {
    const file = text === null ? path.join(tempDir("live-"), "absent.yaml") : exportFile(text);
    let thrown: unknown;
    try {
      readLiveExport(file);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LiveExportError);
    expect((thrown as Error).message).toContain(path.basename(file));
    expect((thrown as Error).message).toMatch(message);
  });

  it("accepts an export with no items (a cluster without hand-made objects)", () => {
    expect(readLiveExport(exportFile('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'))).toEqual([]);
  });

  it("names every bad item at once", () => {
    const text =
      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: x}}\n" +
      "- {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: x}}\n";
    expect(problem(text).split("\n")).toHaveLength(2);
  });
});

describe("npm run live-config", () => {
  const objects = readLiveExport(FIXTURE);
  const base = readPolicyConfigFile(path.join(ROOT, "policy", "production.json"));
  const written = JSON.parse(liveConfig(base, objects)) as Record<string, unknown>;

  it("adds the live objects to every policy that reads them", () => {
    for (const name of LIVE_POLICIES) {
      expect([name, (written[name] as Record<string, unknown>)[LIVE_OBJECTS_PROPERTY]]).toEqual([name, objects]);
    }
  });

  it("keeps the stack's levels and settings, policy by policy", () => {
    const prod = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "production.json"), "utf8")) as Record<string, unknown>;
    for (const [name, value] of Object.entries(prod)) {
      const level = typeof value === "string" ? value : (value as { enforcementLevel: string }).enforcementLevel;
      const now = written[name];
      expect([name, typeof now === "string" ? now : (now as { enforcementLevel?: string }).enforcementLevel]).toEqual([
        name,
        level,
      ]);
    }
    expect(written["proxy-memory-limit-within-max"]).toEqual(prod["proxy-memory-limit-within-max"]);
  });
});

describe("the plan's inventory (live.json)", () => {
  const objects = readLiveExport(FIXTURE);
  const OWNED = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "aks-mesh" };
  const planned = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({
    urn: `urn:pulumi:prod::aks-mesh::${type}::${name}`,
    type,
    name,
    parent: null,
    dependsOn: [],
    protect: false,
    aliases: [],
    inputs,
  });
  // The stack's gateway pods and Gateway for www on 80 and 443, as the prod plan declares them.
  const resources = [
    planned("kubernetes:apps/v1:Deployment", "gw", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "istio-ingressgateway", namespace: "istio-ingress" },
      spec: { template: { metadata: { labels: { app: "istio-ingressgateway", istio: "ingressgateway" } } } },
    }),
    planned("kubernetes:networking.istio.io/v1:Gateway", "public-gateway", {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "public-gateway", namespace: "istio-ingress", labels: OWNED },
      spec: {
        selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
        servers: [80, 443].map((number) => ({
          port: { number, name: `p${number}`, protocol: "HTTP" },
          hosts: ["istio-ingress/www.buildingbite.com", "istio-ingress/api.buildingbite.com"],
        })),
      },
    }),
  ];

  it("gives each live Istio object its step, from the planned resources' inputs", () => {
    const inv = liveInventory(resources, objects);
    expect(inv.entries.map((e) => [e.object.kind, e.step])).toEqual([
      ["Gateway", "delete after cutover"],
      ["VirtualService", "keep"],
      ["DestinationRule", "keep"],
      ["PeerAuthentication", "keep"],
    ]);
    const json = JSON.parse(liveJson(inv, "live.yaml")) as { objects: { stack: { urn: string }[] }[] };
    expect(json.objects[0]?.stack.map((s) => s.urn)).toEqual([resources[1]?.urn]);
  });

  it("skips exported objects that carry the stack's own labels, and says so", () => {
    const own = { ...(resources[1]?.inputs as Record<string, unknown>) };
    const inv = liveInventory(resources, [...objects, own as never]);
    expect(inv.entries).toHaveLength(4);
    expect(inv.owned).toEqual(["Gateway istio-ingress/public-gateway"]);
  });
});
