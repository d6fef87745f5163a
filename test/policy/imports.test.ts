// The pack is its own package, served from policy/ alone: it never imports the program (components/, config/,
// index.ts) nor the tools, and needs no package beyond its own dependency. Strings both sides need live in
// policy/contract.ts, which the program imports.
import fs from "node:fs";
import path from "node:path";

const POLICY_DIR = path.resolve(__dirname, "../../policy");
const PACK_DEPENDENCIES = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { dependencies: object }).dependencies,
);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" ? [] : sources(full);
    return d.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every module specifier a source imports, re-exports or requires. */
function specifiers(text: string): string[] {
  const statements =
    /^(?:import|export|\})[^\n]*?\bfrom\s+["']([^"']+)["']|^import\s+["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)/gm;
  return [...text.matchAll(statements)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** What a file under policy/ imports that is neither in policy/ nor a Node built-in nor a dependency of the pack. */
function foreignImports(file: string, text: string): string[] {
  return specifiers(text).filter((s) => {
    if (s.startsWith(".")) return path.relative(POLICY_DIR, path.resolve(path.dirname(file), s)).startsWith("..");
    return !s.startsWith("node:") && !PACK_DEPENDENCIES.some((d) => s === d || s.startsWith(`${d}/`));
  });
}

const files = sources(POLICY_DIR);

test("reads every source of the pack, area folders included", () => {
  expect(files).toContain(path.join(POLICY_DIR, "index.ts"));
  expect(files).toContain(path.join(POLICY_DIR, "mesh", "index.ts"));
});

test.each(files.map((f) => [path.relative(POLICY_DIR, f), f]))(
  "policy/%s imports only the pack, Node built-ins and the pack's dependencies",
  (_name, file) => {
    expect(foreignImports(file, fs.readFileSync(file, "utf8"))).toEqual([]);
  },
);

test("flags an import of the program, of the root index.ts and of a package the pack does not depend on", () => {
  const file = path.join(POLICY_DIR, "mesh", "example.ts");
  const text = [
    'import { meshLabels } from "../../components/shared";',
    "import {",
    "  a,",
    '} from "../../config";',
    'import "../../index";',
    'import { z } from "zod";',
    'import { at } from "../lib";',
    'import { REVISION_LABEL } from "../contract";',
    'import fs from "node:fs";',
    'import type { Policies } from "@pulumi/policy";',
    'const message = `image from "${hub}"`;',
  ].join("\n");
  expect(foreignImports(file, text)).toEqual(["../../components/shared", "../../config", "../../index", "zod"]);
});
