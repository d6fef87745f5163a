// The README's policy table is generated from the pack (npm run docs:policies): it lists what the pack serves, at the
// levels policy/<environment>.json set, with each policy's `why`.
import fs from "node:fs";
import path from "node:path";
import { allPolicies } from "../../policy/areas";
import { policyTable, withPolicyTable } from "../../tools/policy-docs";

const README = path.resolve(__dirname, "../../README.md");

test("README's policy table is the one npm run docs:policies writes", () => {
  const readme = fs.readFileSync(README, "utf8");
  expect(withPolicyTable(readme, policyTable())).toBe(readme);
});

test("has one row per policy of the pack, in the order of policy/areas.ts", () => {
  const names = policyTable()
    .split("\n")
    .slice(2)
    .map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]);
  expect(names).toEqual(allPolicies.map((p) => p.name));
});

test.each(allPolicies.map((p) => [p.name, p.why]))("%s says why in one short line", (_name, why) => {
  expect(why.trim().length).toBeGreaterThan(5);
  expect(why).not.toMatch(/\n/);
  // The README holds 60-odd rows and must stay under 50 KB: the full reason belongs in the description.
  expect(why.length).toBeLessThanOrEqual(160);
});

test("refuses a README without the table's markers instead of writing the table elsewhere", () => {
  expect(() => withPolicyTable("# README\n", policyTable())).toThrow(/POLICY-TABLE/);
});
