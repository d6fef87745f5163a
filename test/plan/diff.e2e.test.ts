// `npm run plan -- prod --diff` through the real CLI: the prod plan, then the same stack with the sidecar memory limit
// lowered in a copy of its stack file, planned into the same folder with --diff (so against the plan it overwrites).
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

const MEMORY = ["config", "aks-mesh:istio", "proxy", "resources", "limits", "memory"];

let out: string;
let first: CliResult;
let second: CliResult;
let before: string;

beforeAll(async () => {
  out = path.join(tempDir("plan-diff-"), "prod");
  const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
  before = String(doc.getIn(MEMORY));
  doc.setIn(MEMORY, before === "768Mi" ? "896Mi" : "768Mi");
  const stackFile = path.join(tempDir("plan-diff-stack-"), "Pulumi.prod.yaml");
  fs.writeFileSync(stackFile, doc.toString());
  // One plan at a time: each is CPU-bound (three processes).
  first = await planCli(["prod", "--out", out]);
  second = await planCli(["prod", "--config", stackFile, "--out", out, "--diff"]);
});

/** The lines of the diff section, up to the line naming what was written. */
const diffSection = (stdout: string) => {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith("Diff against the plan in "));
  const end = lines.findIndex((l, i) => i > start && l.startsWith("Wrote "));
  return start < 0 ? [] : lines.slice(start, end).filter((l) => l.trim() !== "");
};

test("both plans pass", () => {
  expect(first.code).toBe(0);
  expect(second.code).toBe(0);
});

test("prints a first line at once and then one line per phase, before the summary", () => {
  const lines = second.stdout.split("\n");
  expect(lines[0]).toMatch(/^Planning stack "prod" from .*Pulumi\.prod\.yaml: config, program, preview pass, policy pack\.\.\.$/);
  expect(lines.slice(1, 5).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(["config", "program", "preview pass", "policy pack"]);
  expect(lines[4]).toMatch(/policy pack +started in [\d.]+ s, configured in [\d.]+ s, \d+ resources analyzed \(the plan's \d+ and the \d+ default providers? the engine adds\)/);
});

test("shows the one-line config change as exactly that change: one field of the istiod release, no policy change", () => {
  const after = before === "768Mi" ? "896Mi" : "768Mi";
  expect(diffSection(second.stdout)).toEqual([
    "Diff against the plan in " + path.relative(ROOT, out) + " (the previous plan):",
    "  ~  kubernetes:helm.sh/v3:Release: (update)",
    expect.stringMatching(/^ {8}\[urn=urn:pulumi:prod::aks-mesh::.*IstiodRevision\$kubernetes:helm\.sh\/v3:Release::istio-istiod-1-23-4\]$/),
    `      ~ values.global.proxy.resources.limits.memory: "${before}" => "${after}"`,
    expect.stringMatching(/^ {2}Resources: 1 to update, \d+ unchanged$/),
    "  Policy violations: no new or resolved violations",
  ]);
});
