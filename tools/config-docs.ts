// npm run docs:config [-- --check]
// Generates the configuration reference from the config schemas (descriptions, types, defaults), so neither document
// can drift from what the program accepts: the README lists every top-level key, docs/configuration.md every key at
// every depth. --check exits 1 when either is out of date.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { rootSchema, SECRET_CONFIG_KEYS } from "../config";

const README = path.resolve(__dirname, "..", "README.md");
const FULL_REFERENCE = path.resolve(__dirname, "..", "docs", "configuration.md");
const BEGIN = "<!-- CONFIG-REFERENCE -->";
const END = "<!-- /CONFIG-REFERENCE -->";

interface JsonSchema {
  /** Named value types (config/primitives.ts), shown by name instead of expanded. */
  title?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  format?: string;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(s: JsonSchema): string {
  if (s.title) return s.title; // named types ("resources", ...) are explained once, above the table
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "values"}`;
  if (s.type === "object" && !s.properties && typeof s.additionalProperties === "object") {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  if (s.format === "ipv4") return "IPv4 address";
  if (s.format === "cidrv4") return "IPv4 CIDR";
  if (s.format === "uri") return "URL";
  return Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) {
    const json = JSON.stringify(s.default);
    return json === "{}" && s.type === "object" && s.properties ? "(defaults below)" : `\`${json}\``;
  }
  return required ? "**required**" : "—";
}

/**
 * One row per key, depth first; objects in lists are described through "[]", objects in maps through "<name>". Keys are shown without the config
 * namespace (the README says it once): `cluster.mode` is set as `aks-mesh:cluster.mode`.
 */
function rows(schema: JsonSchema, key: string, required: boolean, out: string[][]): void {
  out.push([`\`${key}\``, typeOf(schema), defaultOf(schema, required), cell(schema.description ?? "")]);
  if (schema.title) return; // a named value type, documented once by its type
  // A map's entries are described through "<name>" (aks-mesh:services: `services.<name>.namespace`).
  const entry = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  const object = schema.type === "array" ? schema.items : entry?.properties ? entry : schema;
  const prefix = schema.type === "array" ? `${key}[]` : entry?.properties ? `${key}.<name>` : key;
  for (const [name, child] of Object.entries(object?.properties ?? {})) {
    rows(child, `${prefix}.${name}`, object?.required?.includes(name) ?? false, out);
  }
}

/** Every key at every depth, then the secret keys: docs/configuration.md. */
export function configReference(): string {
  return table(allRows());
}

/** The top-level keys only (each section, each secret): the README's reference, pointing to the full one. */
export function configSummary(): string {
  return table(
    allRows()
      .filter(([key]) => !/[.[]/.test(key ?? ""))
      // A section's own defaults are its keys' defaults, listed in the full reference.
      .map(([key, type, dflt, meaning]) => [
        key ?? "",
        type ?? "",
        dflt === "(defaults below)" ? "(per key)" : (dflt ?? ""),
        meaning ?? "",
      ]),
  );
}

function allRows(): string[][] {
  const json = z.toJSONSchema(rootSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: string[][] = [];
  for (const [name, section] of Object.entries(json.properties ?? {})) {
    rows(section, name, json.required?.includes(name) ?? false, out);
  }
  for (const [name, secret] of Object.entries(SECRET_CONFIG_KEYS)) {
    out.push([`\`${name}\``, "secret string", "—", cell(secret.description)]);
  }
  return out;
}

function table(out: string[][]): string {
  const header = ["Key", "Type", "Default", "Meaning"];
  return [header, header.map(() => "---"), ...out].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** A document with its reference block replaced by `table`. */
export function withReference(doc: string, table: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`no ${BEGIN} ... ${END} block`);
  // Prettier would realign the table and the check would never match; the block is generated, so it is left alone.
  return `${doc.slice(0, start + BEGIN.length)}\n<!-- prettier-ignore-start -->\n${table}\n<!-- prettier-ignore-end -->\n${doc.slice(end)}`;
}

if (require.main === module) {
  const stale: string[] = [];
  for (const [file, generated] of [
    [README, configSummary()],
    [FULL_REFERENCE, configReference()],
  ] as const) {
    const doc = fs.readFileSync(file, "utf8");
    const updated = withReference(doc, generated);
    if (updated === doc) continue;
    stale.push(path.relative(process.cwd(), file));
    if (!process.argv.includes("--check")) fs.writeFileSync(file, updated);
  }
  if (process.argv.includes("--check") && stale.length > 0) {
    console.error(`configuration reference out of date in ${stale.join(", ")}: run npm run docs:config`);
    process.exit(1);
  }
  console.log(stale.length > 0 ? `regenerated: ${stale.join(", ")}` : "configuration reference up to date");
}
