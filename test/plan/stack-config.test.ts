// Reading a stack file as the CLI does: what a broken one reports.
import fs from "node:fs";
import path from "node:path";
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
