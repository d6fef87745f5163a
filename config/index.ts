// The one place stack configuration is read. `loadConfig()` validates every `aks-mesh:` key of the stack before any
// resource exists, and either returns one typed object or stops the program with a message that names the stack file,
// each wrong key and what was expected (all problems at once, no stack trace).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isoDate } from "../policy/compatibility";
import {
  CONFIG_KEYS,
  crossChecks,
  type MeshConfig,
  resolveAreas,
  retiredForms,
  rootSchema,
  secretProblems,
  SECRET_CONFIG_KEYS,
} from "./areas";
import { configSizeWarning } from "./size";
import { closest } from "./suggest";

export { quantityValue, durationMs } from "./primitives";
export type { Resources } from "./primitives";
export type { MeshConfigContributions, MeshExtensionProvider } from "./area";
export type { HostEntry } from "./ingress";
export type { Callers, ExternalHost, GraphNamespace, GraphService, ServiceGraph } from "./mesh";
export type { ObservabilityConfig, ObservabilitySecrets } from "./observability";
export { KIALI_GRAFANA_LOGIN, TRACING_PROVIDER } from "./observability";
export { CONFIG_KEYS, requiredSecretKeys, rootSchema, SECRET_CONFIG_KEYS } from "./areas";
export type { MeshConfig } from "./areas";

/** Config namespace: the project name, as Pulumi prefixes project keys with it. */
export const CONFIG_NAMESPACE = "aks-mesh";

const SECRET_KEYS: readonly string[] = Object.keys(SECRET_CONFIG_KEYS);

/** Raised for invalid configuration; a RunError, so Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    /** The stack whose configuration is invalid. */
    readonly stackName: string,
    /** One line per problem, each naming its key. */
    readonly problems: readonly string[],
    /** The stack file, as the person running the program named it (default Pulumi.<stack>.yaml). */
    readonly file = `Pulumi.${stackName}.yaml`,
  ) {
    super(
      [
        `Invalid configuration in ${file} (stack "${stackName}"):`,
        ...problems.map((p) => `  - ${p}`),
        "Nothing was deployed. Correct these keys (pulumi config set ...) and run again.",
      ].join("\n"),
    );
    this.name = "ConfigError";
  }

  /** The same problems, naming another stack file (the offline plan's --config FILE). */
  inFile(file: string): ConfigError {
    return new ConfigError(this.stackName, this.problems, file);
  }
}

/**
 * Validates raw config as Pulumi hands it to the program (`aks-mesh:<key>` -> string; objects as JSON text).
 * Pure: the tests and the offline plan call it directly.
 */
export function parseConfig(
  raw: Readonly<Record<string, string>>,
  ctx: {
    project: string;
    stack: string;
    /** The day AKS must offer a created cluster's Kubernetes version ("YYYY-MM-DD"); default: today (UTC). */
    today?: string;
  },
): MeshConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, text] of Object.entries(raw)) {
    if (!fullKey.startsWith(prefix)) {
      // Provider keys such as azure-native:location are not ours; a namespace one typo away from ours is a key of
      // this program that would otherwise be ignored, with its whole section.
      const namespace = fullKey.slice(0, Math.max(0, fullKey.indexOf(":")));
      if (namespace && closest(namespace, [CONFIG_NAMESPACE])) {
        problems.push(
          `${fullKey}: unknown namespace "${namespace}"; did you mean ${prefix}${fullKey.slice(namespace.length + 1)}? ` +
            `(this program reads only ${prefix} keys, so the value would be ignored)`,
        );
      }
      continue;
    }
    const key = fullKey.slice(prefix.length);
    if (!CONFIG_KEYS.includes(key)) {
      const hint = closest(key, CONFIG_KEYS);
      problems.push(
        `${fullKey}: unknown key${hint ? `; did you mean ${prefix}${hint}?` : ""} (known keys: ${CONFIG_KEYS.join(", ")})`,
      );
      continue;
    }
    if (SECRET_KEYS.includes(key)) {
      secrets[key] = text;
      continue;
    }
    if (isPlainString(key)) {
      values[key] = text;
      continue;
    }
    try {
      values[key] = JSON.parse(text);
    } catch {
      problems.push(`${fullKey}: expected a YAML object or list, got the text ${JSON.stringify(text)}`);
    }
  }

  const key = (path: string) => `${prefix}${path}`;
  problems.push(...retiredForms(values, key));
  const parsed = rootSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys" && issue.path.length === 0) continue; // reported above with hints
      problems.push(describeIssue(issue, values));
    }
  }
  problems.push(...secretProblems(parsed.data, secrets, key));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(ctx.stack, problems);

  const root = parsed.data;
  const cross = crossChecks(root, { key, today: ctx.today ?? isoDate(new Date()) });
  if (cross.length > 0) throw new ConfigError(ctx.stack, cross);
  return resolveAreas(root, secrets, ctx);
}

/** Reads and validates the running stack's configuration. Call once, from index.ts, before any resource. */
export function loadConfig(): MeshConfig {
  const raw = pulumi.runtime.allConfig();
  const tooBig = configSizeWarning(raw, pulumi.getStack());
  if (tooBig) void pulumi.log.warn(tooBig);
  return parseConfig(raw, { project: pulumi.getProject(), stack: pulumi.getStack() });
}

/**
 * Whether a key's value is plain text in the stack file (its schema is a string or an enum); every other key holds a
 * YAML object or list, which Pulumi hands over as JSON text.
 */
function isPlainString(key: string): boolean {
  const schema = unwrap((rootSchema.shape as Record<string, z.core.$ZodType>)[key] ?? z.never());
  return schema instanceof z.ZodString || schema instanceof z.ZodEnum;
}

/** One line per zod issue: the full config key path, then what is wrong in the user's terms. */
function describeIssue(issue: z.core.$ZodIssue, values: Record<string, unknown>): string {
  const path = formatPath(issue.path);
  const got = valueAt(values, issue.path);
  const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
  switch (issue.code) {
    case "invalid_type":
      if (got === undefined) return `${path}: is required (expected ${article(issue.expected)})`;
      return `${path}: expected ${article(issue.expected)}${shown}`;
    case "invalid_value":
      return `${path}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${shown}`;
    case "unrecognized_keys": {
      const parent = valueAt(values, issue.path);
      const known = knownKeysAt(issue.path, parent);
      return issue.keys
        .map((key) => {
          const hint = closest(key, known);
          return `${formatPath([...issue.path, key])}: unknown key${hint ? `; did you mean "${hint}"?` : ""}`;
        })
        .join("\n  - ");
    }
    case "too_small":
    case "too_big":
    case "invalid_format":
    case "custom":
    default:
      return `${path}: ${humanize(issue.message)}${issue.code === "custom" ? "" : shown}`;
  }
}

function humanize(message: string): string {
  // zod's own wording for numeric bounds is fine ("Too small: expected number to be >=1"); lower-case it to read inline.
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: "an object",
    array: "a list",
    int: "a whole number",
    number: "a number",
    string: "a string",
    boolean: "true or false",
  };
  return names[type] ?? type;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = CONFIG_NAMESPACE;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
  });
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The keys the schema accepts at a path, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[], _value: unknown): string[] {
  let schema: z.core.$ZodType = rootSchema;
  for (const p of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const next = (schema.shape as Record<string, z.core.$ZodType>)[String(p)];
      if (!next) return [];
      schema = next;
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element;
    } else {
      return [];
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.in) s = def.in;
    else break;
  }
  return s;
}
