// The Slack webhook through the real plan CLI: named as a placeholder, its value nowhere.
import fs from "node:fs";
import path from "node:path";
import { SECRET_CONFIG_KEYS } from "../../config";
import { planCli, tempDir } from "../harness";

test("the prod plan never shows the Slack webhook: not in resources.json, manifests.yaml or stdout", async () => {
  const out = tempDir();
  const run = await planCli(["prod", "--out", out]);
  expect(run.code).toBe(0);
  const example = SECRET_CONFIG_KEYS.slackWebhookUrl!.example;
  expect(run.stdout).toContain("aks-mesh:slackWebhookUrl"); // named as a placeholder...
  for (const text of [
    run.stdout,
    run.stderr,
    fs.readFileSync(path.join(out, "resources.json"), "utf8"),
    fs.readFileSync(path.join(out, "manifests.yaml"), "utf8"),
  ]) {
    expect(text).not.toContain(example); // ...but its value appears nowhere.
    expect(text).not.toContain("hooks.slack.com");
  }
});
