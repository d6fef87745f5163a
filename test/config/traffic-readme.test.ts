// The README's traffic table says which Istio field each knob of aks-mesh:traffic sets. It is written by hand (the
// Istio field is not in the schema), so this test keeps it complete: a knob added to the schema without a row fails.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { globalLimit } from "../../config/global-rate-limit";
import { gatewayRateLimit, serviceTraffic } from "../../config/traffic";

const README = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

/** The rows of the table under "### Traffic policy": [knob cell, Istio field cell]. */
function knobTable(readme: string): string[][] {
  const start = readme.indexOf("### Traffic policy");
  const end = readme.indexOf("\n### ", start + 1);
  if (start < 0 || end < 0) throw new Error('README has no "### Traffic policy" section');
  return readme
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("| ") && !/^\| -/.test(line))
    .slice(1) // the header
    .map((line) =>
      line
        .slice(2, -2)
        .split(" | ")
        .map((c) => c.trim()),
    );
}

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

/** Every key name at every depth of a schema; a port's keys are the service's and are not repeated. */
function keyNames(schema: JsonSchema, out = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    out.add(name);
    if (name !== "ports") keyNames(child, out);
  }
  if (typeof schema.additionalProperties === "object") keyNames(schema.additionalProperties, out);
  if (schema.items) keyNames(schema.items, out);
  for (const alternative of schema.anyOf ?? []) keyNames(alternative, out);
  return out;
}

const knobs = [
  ...keyNames(z.toJSONSchema(serviceTraffic, { io: "input", unrepresentable: "any" }) as JsonSchema),
  ...keyNames(z.toJSONSchema(gatewayRateLimit, { io: "input", unrepresentable: "any" }) as JsonSchema),
  ...keyNames(z.toJSONSchema(globalLimit, { io: "input", unrepresentable: "any" }) as JsonSchema),
  "failureModeDeny",
  "timeout",
].filter((name) => name !== "preset"); // how a service names a preset, explained above the table

const rows = knobTable(README);

test("README's traffic table has a row per knob group, each naming the Istio field it sets", () => {
  expect(rows.length).toBeGreaterThan(5);
  for (const [knob, field] of rows) {
    expect(knob).toMatch(/`/);
    expect(field).toMatch(/\S/);
  }
});

/** The key names a knob cell spells in code: `connectionPool.tcp.` `maxConnections` -> connectionPool, tcp, maxConnections. */
const named = new Set(
  rows.flatMap(([knob]) => [...(knob ?? "").matchAll(/`([^`]+)`/g)].flatMap((m) => (m[1] ?? "").split("."))),
);

test.each([...new Set(knobs)])("README's traffic table names the knob %s", (name) => {
  expect(named.has(name)).toBe(true);
});
