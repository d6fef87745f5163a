// npm run docs:policies [-- --check]
// Generates the README's policy table from the pack itself: every policy of policy/areas.ts, in its order, with its
// level in policy/development.json and policy/production.json and its `why` (policy/lib/why.ts), so the README cannot
// drift from what the pack serves. --check exits 1 when README.md is out of date.
import fs from "node:fs";
import path from "node:path";
import { allPolicies } from "../policy/areas";
import type { AreaPolicy } from "../policy/lib/why";

const ROOT = path.resolve(__dirname, "..");
const README = path.join(ROOT, "README.md");
const BEGIN = "<!-- POLICY-TABLE -->";
const END = "<!-- /POLICY-TABLE -->";
export const ENVIRONMENTS = ["development", "production"] as const;

type LevelsFile = Record<string, string | { enforcementLevel?: string }>;

/** The level a levels file sets for a policy; the policy's own default when it sets none. */
function levelIn(file: LevelsFile, p: AreaPolicy): string {
  const entry = file[p.name];
  const level = typeof entry === "string" ? entry : entry?.enforcementLevel;
  return level ?? p.enforcementLevel ?? "advisory";
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function policyTable(policies: readonly AreaPolicy[] = allPolicies): string {
  const levels = ENVIRONMENTS.map(
    (e) => JSON.parse(fs.readFileSync(path.join(ROOT, "policy", `${e}.json`), "utf8")) as LevelsFile,
  );
  const header = ["Policy", ...ENVIRONMENTS, "Why"];
  const rows = policies.map((p) => [`\`${p.name}\``, ...levels.map((l) => levelIn(l, p)), cell(p.why)]);
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** README.md with the policy table block replaced by `table`. */
export function withPolicyTable(readme: string, table: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} ... ${END} block`);
  // Prettier would realign the table and the check would never match; the block is generated, so it is left alone.
  return `${readme.slice(0, start + BEGIN.length)}\n<!-- prettier-ignore-start -->\n${table}\n<!-- prettier-ignore-end -->\n${readme.slice(end)}`;
}

if (require.main === module) {
  const readme = fs.readFileSync(README, "utf8");
  const updated = withPolicyTable(readme, policyTable());
  if (process.argv.includes("--check")) {
    if (updated !== readme) {
      console.error("README.md's policy table is out of date: run npm run docs:policies");
      process.exit(1);
    }
  } else {
    fs.writeFileSync(README, updated);
    console.log("README.md: policy table regenerated");
  }
}
