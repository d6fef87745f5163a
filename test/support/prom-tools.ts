// The Prometheus tools the alert tests evaluate with (promtool, amtool): found on PATH, run on files, and a gate that
// skips with a visible reason on a machine without them, but fails in CI, where .ci/run installs them.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Absolute path of an executable on PATH, if there is one. */
export function findTool(name: string, searchPath = process.env.PATH ?? ""): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export type ToolGate = { run: true } | { run: false; fail: boolean; reason: string };

/** Whether tests needing `tools` run, skip (locally) or fail (in CI, CI=true: a missing tool is a broken CI). */
export function toolGate(tools: string[], env: NodeJS.ProcessEnv = process.env): ToolGate {
  const missing = tools.filter((t) => !findTool(t, env.PATH ?? ""));
  if (missing.length === 0) return { run: true };
  const reason =
    `${missing.join(" and ")} not found on PATH ` +
    "(Debian/Ubuntu: apt-get install prometheus prometheus-alertmanager; .ci/run installs them)";
  return { run: false, fail: env.CI === "true", reason };
}

/** describe() when the tools are there; a visible skip locally; a failing test in CI. */
export function describeWithTools(tools: string[], title: string, body: () => void): void {
  const gate = toolGate(tools);
  if (gate.run) {
    describe(title, body);
  } else if (gate.fail) {
    describe(title, () => {
      test(`needs ${tools.join(" and ")}`, () => {
        throw new Error(`${gate.reason}; CI must evaluate the alerts with the real tools`);
      });
    });
  } else {
    console.warn(`SKIPPED "${title}": ${gate.reason}`);
    describe.skip(`${title} (skipped: ${gate.reason})`, body);
  }
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool and returns its exit code and output (never throws for a non-zero exit). */
export function runTool(tool: string, args: string[], cwd?: string): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(tool, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
