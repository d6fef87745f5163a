// Reading a stack file as the CLI does: what a broken one reports.
import fs from "node:fs";
import path from "node:path";
import { requiredSecretKeys } from "../../config";
import { readStackConfig, StackFileError } from "../../tools/plan/stack-config";
import { ROOT, tempDir } from "../harness";

function readError(fromFile: string): string {
  try {
    readStackConfig(ROOT, "prod", fromFile);
  } catch (e) {
    if (e instanceof StackFileError) return e.message;
    throw e;
  }
  throw new Error("expected a StackFileError");
}

test("shows a YAML error at its line, with the offending line and a caret, naming the file as given", () => {
  const dir = tempDir("stack-yaml-");
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, "config:\n  aks-mesh:istio:\n    version: 1.23.4\n   revision: 1-23-4\n");
  const given = path.relative(process.cwd(), file);
  const message = readError(given);
  expect(message.split("\n")).toEqual([
    expect.stringMatching(new RegExp(`^${given.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:1: not valid YAML: All mapping items must start at the same column$`)),
    "     4 |    revision: 1-23-4",
    "       | ^",
  ]);
  expect(message).not.toMatch(/column \d+:$/m);
});

test("names a missing --config file as given", () => {
  expect(readError("nowhere/Pulumi.prod.yaml")).toBe("no stack file nowhere/Pulumi.prod.yaml");
});

test("stands in a secret the config makes required but the file does not set, and names it as a placeholder", () => {
  // Prod's login (observability.kiali.auth openid, grafana.oauth) needs both client secrets; its file sets neither, as
  // a real stack sets them with `pulumi config set --secret` rather than in the committed file.
  const stack = readStackConfig(ROOT, "prod");
  expect(stack.placeholders).toEqual(
    expect.arrayContaining(["aks-mesh:kialiOidcClientSecret", "aks-mesh:grafanaOauthClientSecret"]),
  );
  expect(stack.secretKeys).toEqual(expect.arrayContaining(["aks-mesh:kialiOidcClientSecret"]));
});

test("stands in no secret the config does not need", () => {
  const dir = tempDir("stack-secrets-");
  const file = path.join(dir, "Pulumi.prod.yaml");
  const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
  // The same stack with Kiali's token login and Grafana's own accounts: neither OAuth client secret is required.
  fs.writeFileSync(file, prod.replace(/^ {6}auth: openid\n/m, "      auth: token\n").replace(/^ {4}grafana:\n {6}oauth:\n(?: {8}.*\n)+/m, ""));
  const stack = readStackConfig(ROOT, "prod", file);
  // The edited stack still parses (an unparsable one would stand in nothing for any reason): it needs Slack's webhook.
  const values = Object.fromEntries(
    Object.entries(stack.config)
      .filter(([key]) => key.startsWith("aks-mesh:") && !stack.secretKeys.includes(key))
      .map(([key, text]) => [key.slice("aks-mesh:".length), parsedValue(text)]),
  );
  expect(requiredSecretKeys(values)).toEqual(["slackWebhookUrl"]);
  expect(stack.placeholders).not.toContain("aks-mesh:grafanaOauthClientSecret");
  expect(stack.placeholders).not.toContain("aks-mesh:kialiOidcClientSecret");
});

/** A config value as the program reads it: JSON for objects and lists, else the string itself. */
function parsedValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
