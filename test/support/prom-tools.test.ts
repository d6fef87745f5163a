// The gate of the tests that need promtool and amtool: a visible skip on a machine without them, a failure in CI.
import fs from "node:fs";
import path from "node:path";
import { tempDir } from "../harness";
import { findTool, toolGate } from "./prom-tools";

const bin = tempDir("aks-mesh-tools-");
const fake = path.join(bin, "promtool");
fs.writeFileSync(fake, "#!/bin/sh\n", { mode: 0o755 });

test("finds a tool on PATH", () => {
  expect(findTool("promtool", bin)).toBe(fake);
});

test("runs the tests when every tool is there", () => {
  expect(toolGate(["promtool"], { PATH: bin })).toEqual({ run: true });
});

test("skips, saying which tool is missing and how to install it, outside CI", () => {
  const gate = toolGate(["promtool", "amtool"], { PATH: bin });
  expect(gate).toMatchObject({ run: false, fail: false });
  expect(gate.run === false && gate.reason).toMatch(/^amtool not found on PATH .*apt-get install prometheus/);
});

test("fails instead of skipping in CI, where .ci/run installs the tools", () => {
  expect(toolGate(["amtool"], { PATH: bin, CI: "true" })).toMatchObject({ run: false, fail: true });
});
