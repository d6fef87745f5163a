// npm run live-config -- <stack> <live.yaml> [--policy-pack-config FILE] [--out FILE]
// Writes the policy config that hands the cluster's live Istio objects to the pack under the real CLI:
//   pulumi preview --policy-pack policy --policy-pack-config plan/<stack>/policy-config.live.json
// It is the stack's policy config (default policy/<environment>.json, the levels of its aks-mesh:environment) with the export added, as the `liveObjects` setting,
// to every policy that reads it (policy/live.ts LIVE_POLICIES): the same config `npm run plan -- <stack> --live FILE`
// hands the pack. Exit 0 when written, 2 on bad usage, a bad export or a bad policy config (nothing written).
import fs from "node:fs";
import path from "node:path";
import type { JsonObject } from "../../policy/lib";
import { LIVE_POLICIES } from "../../policy/live";
import {
  addLiveObjects,
  type PolicyConfigEntry,
  PolicyConfigError,
  policyConfigSource,
  readPolicyConfigFile,
} from "../policy-host";
import { LiveExportError, readLiveExport } from "./live";
import { readStackConfig, StackFileError } from "./stack-config";

const USAGE = `usage: npm run live-config -- <stack> <live.yaml> [options]
  --policy-pack-config FILE  the config to add the live objects to (default policy/<environment>.json)
  --out FILE                 where to write it (default plan/<stack>/policy-config.live.json)`;

/** A policy config in the file format `--policy-pack-config` reads: a level alone, or the level and the settings. */
export function policyConfigJson(config: Record<string, PolicyConfigEntry>): string {
  const file: Record<string, string | JsonObject> = {};
  for (const [name, entry] of Object.entries(config)) {
    const properties = (entry.properties ?? {}) as JsonObject;
    file[name] =
      entry.enforcementLevel && Object.keys(properties).length === 0
        ? entry.enforcementLevel
        : { ...(entry.enforcementLevel ? { enforcementLevel: entry.enforcementLevel } : {}), ...properties };
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The stack's policy config with the live objects added to every policy that reads them. */
export function liveConfig(base: Record<string, PolicyConfigEntry>, objects: JsonObject[]): string {
  return policyConfigJson(addLiveObjects(base, LIVE_POLICIES, objects));
}

function main(argv: string[]): number {
  const positional: string[] = [];
  const opts: { config?: string; out?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--policy-pack-config" || a === "--out") {
      const v = argv[++i];
      if (!v || v.startsWith("--")) return usage(`${a} needs a value`);
      opts[a === "--out" ? "out" : "config"] = v;
    } else if (a.startsWith("-")) return usage(`unknown option ${a}`);
    else positional.push(a);
  }
  const [stack, liveFile] = positional;
  if (!stack || !liveFile || positional.length > 2) return usage("name a stack and the live export");
  const root = path.resolve(__dirname, "..", "..");
  const out = path.resolve(opts.out ?? path.join(root, "plan", stack, "policy-config.live.json"));
  let text: string;
  let count: number;
  try {
    // The levels `npm run plan` would run: --policy-pack-config, else those of the stack's environment.
    const configFile = policyConfigSource({
      packDir: path.join(root, "policy"),
      stack: readStackConfig(root, stack),
      ...(opts.config ? { configFile: opts.config } : {}),
    });
    const objects = readLiveExport(path.resolve(liveFile));
    const base = configFile ? readPolicyConfigFile(configFile) : {};
    text = liveConfig(base, objects);
    count = objects.length;
  } catch (err) {
    if (err instanceof LiveExportError || err instanceof PolicyConfigError || err instanceof StackFileError) {
      console.error(`live-config: ${err.message}`);
      return 2;
    }
    throw err;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  const shown = path.relative(process.cwd(), out) || out;
  console.log(
    `Wrote ${shown}: ${count} live objects for ${LIVE_POLICIES.length} policies (${LIVE_POLICIES.join(", ")}).\n` +
      `Use it as the stack's policy config: pulumi preview --policy-pack policy --policy-pack-config ${shown}`,
  );
  return 0;
}

function usage(problem: string): number {
  console.error(`live-config: ${problem}\n${USAGE}`);
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
