// The fence between the offline plan and the policy host: tools/plan reaches the policy host through its entry
// (tools/policy-host/index.ts) only, and the policy host never reaches into tools/plan. Every import form counts:
// `import`, `import type`, `export ... from`, `require(...)` and `import(...)`, as TypeScript's own pre-processor
// reads them.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { ROOT } from "../harness";

const PLAN = path.join(ROOT, "tools", "plan");
const HOST = path.join(ROOT, "tools", "policy-host");
const HOST_ENTRY = path.join(HOST, "index.ts");

interface Import {
  file: string;
  specifier: string;
  /** The module file or folder the specifier names (relative specifiers only; packages are left alone). */
  target: string;
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => /\.(ts|js|mts|cts)$/.test(f));
}

/** A relative specifier as Node resolves it for a TypeScript file: the file itself, or a folder's index. */
function resolveTarget(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [
    base,
    `${base}.ts`,
    `${base}.js`,
    path.join(base, "index.ts"),
    path.join(base, "index.js"),
  ]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return base;
}

function importsOf(file: string): Import[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => ({ file: path.relative(ROOT, file), specifier, target: resolveTarget(file, specifier) }));
}

const inside = (dir: string, file: string) => !path.relative(dir, file).startsWith("..");

describe("the fence between tools/plan and tools/policy-host", () => {
  const planImports = sourceFiles(PLAN).flatMap(importsOf);
  const hostImports = sourceFiles(HOST).flatMap(importsOf);

  test("tools/plan imports the policy host through its entry only", () => {
    const intoHost = planImports.filter((i) => inside(HOST, i.target));
    // The plan does use the policy host: an empty list would mean this test reads nothing.
    expect(intoHost.length).toBeGreaterThan(0);
    expect(intoHost.filter((i) => i.target !== HOST_ENTRY).map((i) => `${i.file}: ${i.specifier}`)).toEqual([]);
  });

  test("the policy host never imports tools/plan", () => {
    expect(hostImports.length).toBeGreaterThan(0);
    expect(hostImports.filter((i) => inside(PLAN, i.target)).map((i) => `${i.file}: ${i.specifier}`)).toEqual([]);
  });
});
