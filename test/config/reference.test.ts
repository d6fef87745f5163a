import fs from "node:fs";
import path from "node:path";
import { configReference, withReference } from "../../tools/config-docs";
import { ROOT } from "../harness";

const table = configReference();
const rows = table.split("\n").slice(2);

test("README documents every config key with its current type and default (npm run docs:config)", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  expect(withReference(readme, table)).toBe(readme);
});

test("gives every config key a meaning", () => {
  const undocumented = rows.filter((r) => /\|\s*\|$/.test(r)).map((r) => r.split("|")[1]?.trim());
  expect(undocumented).toEqual([]);
});

test("lists the secret keys without a default value", () => {
  expect(rows.find((r) => r.startsWith("| `slackWebhookUrl` |"))).toMatch(/\| secret string \| — \|/);
});
