// Pulumi.prod-canary.yaml is prod at the first hop of docs/upgrades.md: the same stack file but for the revisions,
// the tags and the one namespace moved to the canary. This keeps it from drifting away from prod.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ROOT } from "../harness";

type Config = Record<string, unknown>;
const read = (stack: string) =>
  (YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Config }).config;

const prod = read("prod");
const example = read("prod-canary");

test("is prod's stack file apart from aks-mesh:istio and aks-mesh:meshNamespaces", () => {
  const without = (c: Config) =>
    Object.fromEntries(Object.entries(c).filter(([k]) => k !== "aks-mesh:istio" && k !== "aks-mesh:meshNamespaces"));
  expect(without(example)).toEqual(without(prod));
});

test("keeps prod's istio settings, with 1.23.4 stable and 1.25.5 as the canary behind tags", () => {
  const { version, revision, ...settings } = prod["aks-mesh:istio"] as Config;
  const { revisions, revisionTags, injectionTag, ...exampleSettings } = example["aks-mesh:istio"] as Config;
  expect(exampleSettings).toEqual(settings);
  expect(revisions).toEqual([
    { version, revision, role: "stable" },
    { version: "1.25.5", revision: "1-25-5", role: "canary", compatibilityVersion: "1.23" },
  ]);
  expect(revisionTags).toEqual({ "prod-stable": revision, "prod-canary": "1-25-5" });
  expect(injectionTag).toBe("prod-stable");
});

test("enrols prod's namespaces, one of them moved to the canary tag", () => {
  const names = (list: unknown) => (list as { name: string }[]).map((n) => n.name);
  expect(names(example["aks-mesh:meshNamespaces"])).toEqual(names(prod["aks-mesh:meshNamespaces"]));
  const moved = (example["aks-mesh:meshNamespaces"] as { revision?: string }[]).filter((n) => n.revision);
  expect(moved).toEqual([{ name: "api", revision: "prod-canary" }]);
});
