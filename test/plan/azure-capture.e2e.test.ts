// `npm run plan -- prod --azure FILE`: the adoption checked against the live IP as `az rest` captured it
// (test/fixtures/azure/public-ip-with-dns-label.json: a DNS label, two tags, the idle timeout and DDoS settings Azure
// sets). The committed prod stack file states no tags, so the import would delete them; stating them makes it an
// import only.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

const CAPTURE = path.join(ROOT, "test", "fixtures", "azure", "public-ip-with-dns-label.json");
const runs: Record<string, CliResult> = {};

beforeAll(async () => {
  const dir = tempDir("plan-azure-");
  const prod = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };
  const tagged = path.join(dir, "Pulumi.prod.yaml");
  const staticIp = prod.config["aks-mesh:staticIp"] ?? {};
  prod.config["aks-mesh:staticIp"] = { ...staticIp, tags: { environment: "prod", owner: "platform" } };
  fs.writeFileSync(tagged, YAML.stringify(prod));
  const garbage = path.join(dir, "garbage.json");
  fs.writeFileSync(garbage, '{"name": "no id"}');

  // One plan at a time: each is CPU-bound.
  runs.committed = await planCli(["prod", "--out", path.join(dir, "committed"), "--azure", CAPTURE]);
  runs.tagged = await planCli(["prod", "--out", path.join(dir, "tagged"), "--config", tagged, "--azure", CAPTURE]);
  runs.garbage = await planCli(["prod", "--out", path.join(dir, "garbage"), "--azure", garbage]);
});

test("fails the plan when importing the live IP would then delete tags the stack file leaves out", () => {
  const run = runs.committed as CliResult;
  expect(run.stdout).toMatch(/ingress-ip-pip: import, then update: tags \(delete\)/);
  expect(run.stderr).toMatch(/1 adopted resource would be changed right after the import/);
  expect(run.code).toBe(1);
});

test("passes when the stack file states the live tags: the DNS label, DDoS settings and idle timeout need nothing", () => {
  const run = runs.tagged as CliResult;
  expect(run.stdout).toMatch(/Imports \(against the live GET answers in .*public-ip-with-dns-label\.json\):/);
  expect(run.stdout).toMatch(/ingress-ip-pip: import only/);
  expect(run.code).toBe(0);
});

test("refuses a capture that is not an Azure GET answer, before planning anything", () => {
  const run = runs.garbage as CliResult;
  expect(run.stderr).toMatch(/^plan: --azure .*garbage\.json: entry 0 is not an Azure GET answer with an "id"/m);
  expect(run.code).toBe(2);
});
