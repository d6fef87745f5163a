// The Alertmanager configuration the program renders, checked by the real amtool: `amtool check-config` loads it as
// Alertmanager does, and `amtool template render` parses the Slack message templates, which check-config leaves to
// notification time. Secrets are placeholders that must never reach the file (it holds only the paths of the mounted
// Secret's files). Skew: CI has Debian's amtool 0.25, the cluster runs Alertmanager 0.28+; the configuration uses
// only fields both know (matchers, *_file credentials).
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { tempDir } from "../../harness";
import { describeWithTools, runTool } from "../../support/prom-tools";
import { PLACEHOLDER_SECRETS, type RenderedAlerting, renderAlerting } from "../../support/rendered-alerting";

interface SlackConfig {
  title: string;
  text: string;
}

describeWithTools(["amtool"], "Alertmanager configuration checked by amtool", () => {
  let rendered: RenderedAlerting;
  let file: string;

  beforeAll(async () => {
    rendered = await renderAlerting(tempDir("aks-mesh-alertmanager-"));
    file = path.join(rendered.dir, rendered.alertmanager);
  });

  test("amtool check-config accepts the rendered alertmanager.yml with both receivers", async () => {
    const r = await runTool("amtool", ["check-config", file]);
    expect({ code: r.code, output: r.stdout + r.stderr }).toEqual({
      code: 0,
      output: expect.stringContaining("SUCCESS") as string,
    });
    expect(r.stdout).toContain("2 receivers");
    expect(r.stdout).toContain("1 inhibit rules");
  });

  test("the rendered file holds no secret, only the paths Alertmanager reads them from", () => {
    const text = fs.readFileSync(file, "utf8");
    for (const secret of Object.values(PLACEHOLDER_SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain("api_url_file: /etc/alertmanager/notifiers/slack-webhook-url");
    expect(text).toContain("auth_password_file: /etc/alertmanager/notifiers/smtp-password");
  });

  test.each(["title", "text"] as const)("the Slack %s template parses and renders in Alertmanager", async (key) => {
    const config = YAML.parse(fs.readFileSync(file, "utf8")) as {
      receivers: { name: string; slack_configs?: SlackConfig[] }[];
    };
    const slack = config.receivers.find((r) => r.slack_configs)?.slack_configs?.[0];
    if (!slack) throw new Error("the rendered configuration has no Slack receiver");
    const noTemplates = path.join(rendered.dir, "none.tmpl");
    fs.writeFileSync(noTemplates, "");
    // amtool renders with its built-in example alerts.
    const r = await runTool("amtool", [
      "template",
      "render",
      `--template.glob=${noTemplates}`,
      `--template.text=${slack[key]}`,
    ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
