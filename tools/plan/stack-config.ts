// Reads a stack's configuration the way the Pulumi CLI hands it to the program: "namespace:key" -> string, with objects
// and lists as JSON text, project-level defaults from Pulumi.yaml underneath the stack's own values.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { requiredSecretKeys, SECRET_CONFIG_KEYS } from "../../config";

export interface StackConfig {
  project: string;
  stack: string;
  /** "namespace:key" -> value as the program receives it. */
  config: Record<string, string>;
  /** Keys whose value is a secret. */
  secretKeys: string[];
  /** Secret keys the plan could not decrypt and replaced with a placeholder (named in the summary). */
  placeholders: string[];
}

export class StackFileError extends Error {}

interface ProjectFile {
  name?: string;
  config?: Record<string, unknown>;
}

/** A secret the plan cannot decrypt (no CLI, no passphrase): the program sees this marked-secret placeholder. */
export const SECRET_PLACEHOLDER = "plan-placeholder-secret";

/** Reads the config of `stack`, from Pulumi.<stack>.yaml in `root` or, when given, from another stack file. */
export function readStackConfig(root: string, stack: string, fromFile?: string): StackConfig {
  const projectPath = path.join(root, "Pulumi.yaml");
  const stackPath = fromFile ? path.resolve(fromFile) : path.join(root, `Pulumi.${stack}.yaml`);
  // Messages name the file as it was given (--config FILE), else by its name in the project.
  const shown = fromFile ?? `Pulumi.${stack}.yaml`;
  if (!fs.existsSync(stackPath)) {
    if (fromFile) throw new StackFileError(`no stack file ${shown}`);
    const known = fs
      .readdirSync(root)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined);
    throw new StackFileError(`no stack file ${shown} (stacks here: ${known.join(", ") || "none"})`);
  }
  const project = parseYaml<ProjectFile>(projectPath, "Pulumi.yaml");
  if (!project?.name) throw new StackFileError("Pulumi.yaml has no project name");
  const stackFile = parseYaml<{ config?: Record<string, unknown> }>(stackPath, shown) ?? {};

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const placeholders: string[] = [];
  const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

  // Project-level declarations: `default` of a schema declaration, or a plain value.
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const value = isRecord(decl) ? ("default" in decl ? decl.default : "value" in decl ? decl.value : undefined) : decl;
    if (value !== undefined) config[qualify(key)] = toConfigText(value);
    if (isRecord(decl) && decl.secret === true) secretKeys.push(qualify(key));
  }
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const full = qualify(key);
    if (isRecord(value) && Object.keys(value).length === 1 && typeof value.secure === "string") {
      config[full] = placeholderFor(full);
      secretKeys.push(full);
      placeholders.push(full);
      continue;
    }
    config[full] = toConfigText(value);
  }
  // A secret Pulumi.yaml declares (the CLI requires it) that this stack file does not set: real stacks set it with
  // `pulumi config set --secret`; the plan stands in the config module's valid example, marked secret.
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const full = qualify(key);
    if (!isRecord(decl) || decl.secret !== true || full in config) continue;
    config[full] = placeholderFor(full);
    secretKeys.push(full);
    placeholders.push(full);
  }
  // A secret the config makes required (e.g. an OIDC client secret once a login is switched on) that the file does not
  // set: a real stack sets it with `pulumi config set --secret` before its first preview (the program refuses to run
  // without it); the plan stands in its example, and names it in the summary.
  const prefix = `${project.name}:`;
  const ownValues: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const full = qualify(key);
    const name = full.slice(prefix.length);
    if (full.startsWith(prefix) && !(name in SECRET_CONFIG_KEYS)) ownValues[name] = value;
  }
  for (const name of requiredSecretKeys(ownValues)) {
    const full = qualify(name);
    if (full in config) continue;
    config[full] = placeholderFor(full);
    secretKeys.push(full);
    placeholders.push(full);
  }
  return { project: project.name, stack, config, secretKeys: [...new Set(secretKeys)], placeholders };
}

/** The config module's example for a known secret key (it must pass validation), else the generic placeholder. */
function placeholderFor(fullKey: string): string {
  return SECRET_CONFIG_KEYS[fullKey.slice(fullKey.indexOf(":") + 1)]?.example ?? SECRET_PLACEHOLDER;
}

function parseYaml<T>(file: string, shown: string): T | undefined {
  const text = fs.readFileSync(file, "utf8");
  try {
    return YAML.parse(text) as T | undefined;
  } catch (e) {
    throw new StackFileError(yamlProblem(e, text, shown));
  }
}

/**
 * "FILE:LINE:COLUMN: is not valid YAML: <reason>", then the offending line and a caret under the column. The yaml
 * library's own message ends "at line N, column M:" followed by a snippet; the reason is the part before that.
 */
export function yamlProblem(err: unknown, text: string, shown: string): string {
  if (!(err instanceof YAML.YAMLError) || !err.linePos) return `${shown} is not valid YAML: ${String(err)}`;
  const { line, col } = err.linePos[0];
  const reason = (err.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  const source = (text.split(/\r?\n/)[line - 1] ?? "").replace(/\t/g, " ");
  return [
    `${shown}:${line}:${col}: not valid YAML: ${reason}`,
    `  ${String(line).padStart(4)} | ${source}`,
    `       | ${" ".repeat(Math.max(0, col - 1))}^`,
  ].join("\n");
}

function toConfigText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
