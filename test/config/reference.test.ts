import fs from "node:fs";
import path from "node:path";
import { configReference, configSummary, withReference } from "../../tools/config-docs";
import { ROOT } from "../harness";

const table = configReference();
const rows = table.split("\n").slice(2);

test("docs/configuration.md documents every config key with its current type and default (npm run docs:config)", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
  expect(withReference(doc, table)).toBe(doc);
});

test("README lists every top-level config key as the schemas declare it (npm run docs:config)", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  expect(withReference(readme, configSummary())).toBe(readme);
});

test("README's summary holds the top-level keys only, each also in the full reference", () => {
  const summary = configSummary().split("\n").slice(2);
  expect(summary.length).toBeGreaterThan(5);
  const keyOf = (row: string) => row.split(" | ")[0];
  for (const row of summary) {
    expect(row).toMatch(/^\| `[A-Za-z]+` \|/);
    expect(rows.map(keyOf)).toContain(keyOf(row));
  }
});

test("gives every config key a meaning", () => {
  const undocumented = rows.filter((r) => /\|\s*\|$/.test(r)).map((r) => r.split("|")[1]?.trim());
  expect(undocumented).toEqual([]);
});

test("lists the secret keys without a default value", () => {
  expect(rows.find((r) => r.startsWith("| `slackWebhookUrl` |"))).toMatch(/\| secret string \| — \|/);
});
