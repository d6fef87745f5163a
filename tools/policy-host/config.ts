// A stack's policy config, as `pulumi preview --policy-pack DIR --policy-pack-config FILE` reads and reconciles it
// before calling Configure (pulumi/pulumi pkg/resource/analyzer/config.go): the file maps a policy name (or "all") to
// an enforcement level or to an object of properties with an optional "enforcementLevel"; the engine starts from each
// policy's level and schema defaults, applies the pack's initial config, then the file, and validates every policy's
// properties against its config schema. One stricter check than the engine: a name that is no policy of the pack is an
// error here (the engine passes it on and the pack ignores it, so a typo would silently change nothing).
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { closest } from "../../config/suggest";
import type { JsonObject } from "../../policy/lib";
import { LIVE_OBJECTS_PROPERTY } from "../../policy/live";

export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

export interface PolicyConfigEntry {
  enforcementLevel?: EnforcementLevel;
  properties?: Record<string, unknown>;
}

/** One policy as GetAnalyzerInfo describes it. */
export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  kind: "resource" | "stack" | "unknown";
  /** JSON schema of the policy's config properties, when it has any. */
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

/** The pack as GetAnalyzerInfo describes it. */
export interface AnalyzerInfo {
  name: string;
  version: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
  initialConfig: Record<string, PolicyConfigEntry>;
}

/** What Configure receives for one policy. */
export interface ReconciledConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

/** The policy config is unusable: the message names the file and the key. */
export class PolicyConfigError extends Error {}

function isLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parses a policy config file; an empty file is an empty config, as in the CLI. */
export function readPolicyConfigFile(file: string): Record<string, PolicyConfigEntry> {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PolicyConfigError(
      `${shown}: cannot read the policy config (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  if (text.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PolicyConfigError(`${shown}: not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(raw)) throw new PolicyConfigError(`${shown}: must be a JSON object of policy name -> config`);
  const problems: string[] = [];
  const result: Record<string, PolicyConfigEntry> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === "environments") {
      problems.push(
        `${shown}: "environments" (Pulumi ESC) cannot be resolved offline; remove it from the plan's config`,
      );
      continue;
    }
    if (typeof value === "string") {
      if (!isLevel(value))
        problems.push(`${shown}: ${name}: "${value}" is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
      else result[name] = { enforcementLevel: value };
      continue;
    }
    if (!isRecord(value)) {
      problems.push(`${shown}: ${name}: must be an enforcement level or an object of properties`);
      continue;
    }
    const { enforcementLevel, ...properties } = value;
    if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
      problems.push(
        `${shown}: ${name}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`,
      );
      continue;
    }
    const entry: PolicyConfigEntry = {};
    if (enforcementLevel !== undefined) entry.enforcementLevel = enforcementLevel;
    if (Object.keys(properties).length > 0) entry.properties = properties;
    if (entry.enforcementLevel || entry.properties) result[name] = entry;
  }
  if (problems.length > 0) throw new PolicyConfigError(problems.join("\n"));
  return result;
}

function suggestion(name: string, known: string[]): string {
  const best = closest(name, known);
  return best ? ` (did you mean ${best}?)` : "";
}

function apply(result: Record<string, ReconciledConfig>, config: Record<string, PolicyConfigEntry>): void {
  const all = config.all?.enforcementLevel;
  if (all) for (const c of Object.values(result)) c.enforcementLevel = all;
  for (const [name, given] of Object.entries(config)) {
    const current = result[name] ?? { enforcementLevel: given.enforcementLevel ?? "advisory", properties: {} };
    result[name] = {
      enforcementLevel: given.enforcementLevel ?? current.enforcementLevel,
      properties: { ...current.properties, ...(given.properties ?? {}) },
    };
  }
}

/**
 * The config the engine sends with Configure: each policy's level and schema defaults, then the pack's initial config,
 * then the file's. Throws PolicyConfigError naming the source and every invalid key.
 */
export function reconcilePolicyConfig(
  info: AnalyzerInfo,
  fromFile: Record<string, PolicyConfigEntry>,
  source: string,
): Record<string, ReconciledConfig> {
  const names = info.policies.map((p) => p.name);
  if (!info.supportsConfig && Object.keys(fromFile).length > 0) {
    throw new PolicyConfigError(`${source}: policy pack ${info.name} does not support config`);
  }
  const unknown = Object.keys(fromFile).filter((k) => k !== "all" && !names.includes(k));
  if (unknown.length > 0) {
    throw new PolicyConfigError(
      unknown.map((k) => `${source}: "${k}" is not a policy of pack ${info.name}${suggestion(k, names)}`).join("\n"),
    );
  }

  const result: Record<string, ReconciledConfig> = {};
  for (const p of info.policies) {
    const defaults: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      if ("default" in schema) defaults[k] = schema.default;
    }
    result[p.name] = { enforcementLevel: p.enforcementLevel, properties: defaults };
  }
  apply(result, info.initialConfig);
  apply(result, fromFile);

  const ajv = new Ajv({ allErrors: true, strict: false });
  const problems: string[] = [];
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const schema = { type: "object", properties: p.configSchema.properties, required: p.configSchema.required };
    let validate;
    try {
      validate = ajv.compile(schema);
    } catch (e) {
      problems.push(`policy ${p.name} of pack ${info.name} has an invalid config schema: ${(e as Error).message}`);
      continue;
    }
    if (validate((result[p.name] as ReconciledConfig).properties)) continue;
    for (const err of validate.errors ?? []) {
      const where = err.instancePath ? err.instancePath.slice(1).replace(/\//g, ".") : "";
      problems.push(`${source}: ${p.name}${where ? `.${where}` : ""}: ${err.message ?? "is invalid"}`);
    }
  }
  if (problems.length > 0) {
    throw new PolicyConfigError(
      `validating policy config of ${info.name} ${info.version}:\n  ${problems.join("\n  ")}`,
    );
  }
  return result;
}

/** The policy config with the live objects added to each named policy (keeping its level and other settings). */
export function addLiveObjects(
  config: Record<string, PolicyConfigEntry>,
  policies: readonly string[],
  objects: JsonObject[],
): Record<string, PolicyConfigEntry> {
  const out = { ...config };
  for (const name of policies) {
    const given = out[name] ?? {};
    out[name] = { ...given, properties: { ...given.properties, [LIVE_OBJECTS_PROPERTY]: objects } };
  }
  return out;
}
