// npm run plan -- <stack> [--out DIR] [--config FILE] [--azure FILE] [--policy-pack DIR] [--policy-pack-config FILE]
//   [--diff [DIR]] [--live FILE] [--cluster-version V] [--upgrade-to X.Y.Z]
// The offline counterpart of `pulumi preview --policy-pack policy --policy-pack-config policy/<environment>.json`:
//   1. the main pass runs the program for Pulumi.<stack>.yaml under the mock runtime, in this process, against the
//      simulated world, and writes DIR (default plan/<stack>)/resources.json and manifests.yaml (see contract.ts);
//   2. meanwhile a preview pass runs the program again as `pulumi preview` does (computed outputs unknown) in a child
//      process, and the policy pack starts as the CLI starts it (the policy host, tools/policy-host);
//   3. the pack analyzes every resource of the preview pass and the whole stack; DIR/policy.json gets every violation;
//   4. with --diff, what changed since the previous plan (DIR's files as they were before this run, or another plan's);
//   5. with --live, the cluster's exported Istio objects reach the pack's live-aware policies and DIR/live.json lists
//      what the stack does to each (live.ts).
// It prints a line at once, then one per phase as it ends (config, program, preview pass, policy pack), then the summary.
// tools/plan is the simulated `pulumi up`/`pulumi preview`; serving the pack is the policy host's (tools/policy-host,
// reached through its index.ts only; test/policy-host/fence.test.ts). A new area of the program adds nothing here
// except, when it reads something from Azure or the cluster, the simulated world's answer in world.ts.
// With --upgrade-to it only prints the hop plan from the stack's Istio and Kubernetes to that Istio (upgrade.ts) and
// writes no plan files: exit 0 with the steps, 2 when no path exists.
// Exit 0 on success, 1 when the program, the preview pass or the policy pack fails, a mandatory policy is violated or
// an adopted Azure resource would be changed right after its import (azure-import.ts), 2 on bad usage or
// configuration (stack file, stack config, policy config, live export).
import fs from "node:fs";
import path from "node:path";
import { importLine, parseAzureCapture } from "./azure-import";
import { footprintJson, footprintLines, planFootprint } from "./footprint";
import { kubernetesManifests, manifestsYaml, type PlannedResource, plannedResources } from "./contract";
import { diffLines, diffPlans, type Plan, type PlannedViolation } from "./diff";
import { meshDiagramOf } from "./mesh-diagram";
import { LiveExportError, liveInventory, liveJson, liveLines, readLiveExport } from "./live";
import {
  analyzedCount,
  analyzeStack,
  countByLevel,
  DEFAULT_TIMEOUTS,
  PolicyConfigError,
  policyJson,
  policyLines,
  PolicyRunError,
  type PolicyRunResult,
  PreviewError,
  stackEnvironment,
  startPolicyPack,
  startPreviewPass,
} from "../policy-host";
import { PREVIEW_WORKER, type PreviewInput } from "./preview-worker";
import { ProgramError, runProgram } from "./run";
import { readStackConfig, StackFileError } from "./stack-config";
import { componentTree, countsByType, outputLines, resourceCounts, simulatedLines } from "./summary";
import { today, upgradeReport } from "./upgrade";
import { SIMULATED_KUBERNETES_VERSION } from "./world";

const USAGE = `usage: npm run plan -- <stack> [options]
  --out DIR                  write the plan here (default plan/<stack>)
  --config FILE              plan <stack> from this stack file instead of Pulumi.<stack>.yaml (e.g. a modified copy)
  --azure FILE               check imports against these live GET answers (az rest --method get ...; one or a list)
  --policy-pack DIR          the policy pack to run (default policy/)
  --policy-pack-config FILE  its config (default <policy pack>/<environment>.json: the levels of the stack's
                             aks-mesh:environment, production when it is not set)
  --diff [DIR]               show what changed since the plan in DIR (default: the previous plan in the --out folder)
  --timeout-factor N         multiply the deadlines (pack start 90 s, pack call 60 s, preview pass 180 s) by N, e.g. on a busy machine
  --live FILE                the cluster's Istio objects (kubectl get ... -A -o yaml): checked against, listed in live.json
  --cluster-version X.Y.Z    Kubernetes version the simulated existing cluster reports (default ${SIMULATED_KUBERNETES_VERSION};
                             yours: az aks show -g <group> -n <cluster> --query currentKubernetesVersion -o tsv)
  --upgrade-to X.Y.Z         print the hop plan from the stack's Istio and Kubernetes to Istio X.Y.Z (no plan files)`;

interface Args {
  stack: string;
  out?: string;
  config?: string;
  azure?: string;
  policyPack?: string;
  policyPackConfig?: string;
  /** --diff: "" for the previous plan in the output folder, else the folder of the plan to compare with. */
  diff?: string;
  timeoutFactor?: string;
  live?: string;
  clusterVersion?: string;
  upgradeTo?: string;
}

const OPTIONS: Record<string, keyof Omit<Args, "stack">> = {
  "--out": "out",
  "--config": "config",
  "--azure": "azure",
  "--policy-pack": "policyPack",
  "--policy-pack-config": "policyPackConfig",
  "--live": "live",
  "--cluster-version": "clusterVersion",
  "--timeout-factor": "timeoutFactor",
  "--upgrade-to": "upgradeTo",
};

/** How many arguments from `rest` on are positional (the stack), skipping the values of options. */
function positionals(rest: string[]): number {
  let n = 0;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (OPTIONS[a]) i++;
    else if (!a.startsWith("-")) n++;
  }
  return n;
}

function parseArgs(argv: string[]): Args | string {
  let stack: string | undefined;
  const opts: Partial<Args> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const key = OPTIONS[flag];
    if (flag === "--diff") {
      // The folder is optional: `--diff=DIR`, or `--diff DIR` when DIR is not the stack (already named or named after).
      const next = argv[i + 1];
      const positionalsAfter = positionals(argv.slice(i + 2));
      if (inline !== undefined) opts.diff = inline;
      else if (next !== undefined && !next.startsWith("-") && (stack !== undefined || positionalsAfter > 0)) opts.diff = argv[++i];
      else opts.diff = "";
      if (inline === "") return "--diff= needs a folder; use --diff alone for the previous plan";
    } else if (key) {
      const value = inline ?? argv[++i];
      if (!value || value.startsWith("--")) return `${flag} needs a value`;
      opts[key] = value;
    } else if (a.startsWith("-")) return `unknown option ${a}`;
    else if (stack) return `one stack at a time (got ${stack} and ${a})`;
    else stack = a;
  }
  if (opts.clusterVersion !== undefined && !/^[0-9]+\.[0-9]+(\.[0-9]+)?$/.test(opts.clusterVersion)) {
    return `--cluster-version must be a Kubernetes version such as 1.32.7 (got ${opts.clusterVersion})`;
  }
  if (opts.upgradeTo !== undefined && !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(opts.upgradeTo)) {
    return `--upgrade-to must be an Istio version such as 1.30.3 (got ${opts.upgradeTo})`;
  }
  return stack ? { ...opts, stack } : "name a stack, e.g. dev or prod";
}

const since = (t: number) => Date.now() - t;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A plan as the contract wrote it in `dir`, or why there is none. */
function readPlan(dir: string): { plan: Plan; comparesViolations: boolean } | string {
  const resourcesFile = path.join(dir, "resources.json");
  if (!fs.existsSync(resourcesFile)) return `no plan in ${path.relative(process.cwd(), dir) || "."} to compare with (no resources.json)`;
  try {
    const resources = JSON.parse(fs.readFileSync(resourcesFile, "utf8")) as PlannedResource[];
    const policyFile = path.join(dir, "policy.json");
    const comparesViolations = fs.existsSync(policyFile);
    const violations = comparesViolations ? (JSON.parse(fs.readFileSync(policyFile, "utf8")) as PlannedViolation[]) : [];
    if (!Array.isArray(resources) || !Array.isArray(violations)) return `${resourcesFile} or policy.json is not a plan`;
    return { plan: { resources, violations }, comparesViolations };
  } catch (err) {
    return `cannot read the plan in ${dir}: ${(err as Error).message}`;
  }
}

/** Phase lines: printed as each phase ends, so a slow machine shows where the time goes. */
function phase(name: string, detail: string): void {
  console.log(`  ${name.padEnd(14)}${detail}`);
}

/** What a plan writes into its folder (contract.ts); a run that fails leaves none of them behind. */
const PLAN_FILES = ["resources.json", "manifests.yaml", "footprint.json", "mesh.mmd", "policy.json", "live.json"];

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`plan: ${args}\n${USAGE}`);
    return 2;
  }
  const root = path.resolve(__dirname, "..", "..");
  if (args.upgradeTo) return printUpgrade(root, args, args.upgradeTo);
  const out = path.resolve(args.out ?? path.join(root, "plan", args.stack));
  const packDir = path.resolve(args.policyPack ?? path.join(root, "policy"));
  const factor = Number(args.timeoutFactor ?? 1);
  if (!(factor > 0) || !Number.isFinite(factor)) {
    console.error(`plan: --timeout-factor needs a positive number (got ${args.timeoutFactor})\n${USAGE}`);
    return 2;
  }
  const timeouts = {
    startMs: DEFAULT_TIMEOUTS.startMs * factor,
    rpcMs: DEFAULT_TIMEOUTS.rpcMs * factor,
    previewMs: DEFAULT_TIMEOUTS.previewMs * factor,
  };
  const started = Date.now();
  console.log(
    `Planning stack "${args.stack}"${args.config ? ` from ${args.config}` : ""}: config, program, preview pass, policy pack...`,
  );
  // Read the previous plan now: this run overwrites it.
  const diffDir = args.diff === undefined ? undefined : path.resolve(args.diff || out);
  const previous = diffDir ? readPlan(diffDir) : undefined;
  // Whatever happens next, no plan file of an earlier run may pass for this run's.
  for (const file of PLAN_FILES) fs.rmSync(path.join(out, file), { force: true });

  let azureResources: Record<string, Record<string, unknown>> | undefined;
  if (args.azure) {
    try {
      azureResources = parseAzureCapture(fs.readFileSync(args.azure, "utf8"));
    } catch (err) {
      console.error(`plan: --azure ${args.azure}: ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    }
  }

  let stack;
  let live;
  try {
    stack = readStackConfig(root, args.stack, args.config);
    live = args.live ? readLiveExport(path.resolve(args.live)) : undefined;
  } catch (err) {
    if (err instanceof StackFileError || err instanceof LiveExportError) {
      console.error(`plan: ${err.message}`);
      return 2;
    }
    throw err;
  }
  phase("config", `${args.config ?? `Pulumi.${args.stack}.yaml`} read in ${since(started)} ms`);

  // The preview pass and the pack's start-up run while this process runs the main pass.
  const preview = startPreviewPass<PreviewInput>({
    worker: PREVIEW_WORKER,
    input: { root, stack: args.stack, stackFile: args.config, clusterKubernetesVersion: args.clusterVersion },
    timeoutMs: timeouts.previewMs,
  });
  const pack = startPolicyPack({
    root,
    stack,
    packDir,
    ...(args.policyPackConfig ? { configFile: args.policyPackConfig } : {}),
    ...(live ? { liveObjects: live } : {}),
    timeouts,
  });
  const stopAll = async () => {
    preview.stop();
    await pack.stop();
  };

  let run;
  try {
    run = await runProgram({
      root,
      stack: args.stack,
      stackFile: args.config,
      clusterKubernetesVersion: args.clusterVersion,
      preview: false,
      ...(azureResources ? { azureResources } : {}),
    });
  } catch (err) {
    await stopAll();
    if (err instanceof StackFileError) {
      console.error(`plan: ${err.message}`);
      return 2;
    }
    if (err instanceof ProgramError) {
      console.error(err.clean ? err.message : `plan: the program failed:\n${err.message}`);
      return err.clean ? 2 : 1;
    }
    throw err;
  }
  const resources = plannedResources(run.resources, run.simulated.texts());
  phase("program", `${resources.length} resources in ${seconds(since(started))} (run against the simulated world)`);
  const manifests = kubernetesManifests(resources);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "resources.json"), `${JSON.stringify(resources, null, 2)}\n`);
  fs.writeFileSync(path.join(out, "manifests.yaml"), manifestsYaml(manifests));
  const footprint = planFootprint(run.resources, run.engine);
  fs.writeFileSync(path.join(out, "footprint.json"), footprintJson(footprint));
  fs.writeFileSync(path.join(out, "mesh.mmd"), meshDiagramOf(run.stack));
  const liveSource = args.live ? path.relative(process.cwd(), path.resolve(args.live)) || args.live : "";
  const inventory = live ? liveInventory(resources, live) : undefined;
  if (inventory) fs.writeFileSync(path.join(out, "live.json"), liveJson(inventory, liveSource));

  let policy: PolicyRunResult;
  try {
    const previewPass = await preview.result;
    phase("preview pass", `${previewPass.resources.length} resources, done at ${seconds(since(started))} (as pulumi preview: outputs unknown)`);
    const configured = await pack.ready;
    policy = await analyzeStack(configured, previewPass);
    phase(
      "policy pack",
      `started in ${seconds(configured.timings.startMs)}, configured in ${seconds(configured.timings.configureMs)}, ` +
        `${analyzedCount(policy, resources.length)} in ${seconds(policy.analyzeMs)}`,
    );
  } catch (err) {
    await stopAll();
    for (const file of PLAN_FILES) fs.rmSync(path.join(out, file), { force: true });
    if (err instanceof PolicyConfigError) {
      console.error(`plan: ${err.message}`);
      return 2;
    }
    if (err instanceof PreviewError) {
      console.error(err.clean ? `plan: ${err.message}` : `plan: the preview pass failed:\n${err.message}`);
      return err.clean ? 2 : 1;
    }
    if (err instanceof PolicyRunError) {
      console.error(`plan: the policy pack at ${path.relative(process.cwd(), packDir) || "."} failed: ${err.message}`);
      return 1;
    }
    throw err;
  }
  await stopAll();
  fs.writeFileSync(path.join(out, "policy.json"), policyJson(policy.violations));

  const lines = [
    "",
    `Plan of stack "${args.stack}" (${run.stack.project})${args.config ? ` from ${path.relative(process.cwd(), args.config)}` : ""}: ${resourceCounts(resources)}, ${manifests.length} Kubernetes objects, ${seconds(since(started))}`,
    "",
    ...componentTree(resources),
    "",
    "Resources by type:",
    ...countsByType(resources),
    "",
    "Stack outputs:",
    ...outputLines(run.outputs, run.simulated),
  ];
  const simulated = simulatedLines(resources, run.outputs, run.simulated);
  if (simulated.length > 0) lines.push("", ...simulated);
  if (run.stack.placeholders.length > 0) {
    lines.push("", `Secrets planned with a placeholder (set them with pulumi config set --secret): ${run.stack.placeholders.join(", ")}`);
  }
  if (run.imports.length > 0) {
    const against = args.azure ? `the live GET answers in ${args.azure}` : "the simulated Azure's GET answers";
    lines.push("", `Imports (against ${against}):`, ...run.imports.map(importLine));
  }
  if (inventory) lines.push("", ...liveLines(inventory, liveSource));
  lines.push("", ...footprintLines(footprint));
  const { environment, declared } = stackEnvironment(stack);
  lines.push(
    "",
    `Policy levels: ${environment} (${declared ? `${stack.project}:environment` : `${stack.project}:environment not set, so production`}), ` +
      `from ${policy.configSource ? path.relative(process.cwd(), policy.configSource) || policy.configSource : "the pack's defaults"}`,
    ...policyLines(policy, packDir, resources.length),
  );
  if (diffDir && previous) {
    const against = path.relative(process.cwd(), diffDir) || ".";
    if (typeof previous === "string") lines.push("", `Diff: ${previous}`);
    else {
      const diff = diffPlans(previous.plan, { resources, violations: previous.comparesViolations ? policy.violations : [] });
      lines.push("", `Diff against the plan in ${against}${args.diff ? "" : " (the previous plan)"}:`, ...diffLines(diff));
      if (!previous.comparesViolations) lines.push(`  (no policy.json in ${against}: policy violations not compared)`);
    }
  }
  lines.push("", `Wrote ${path.relative(process.cwd(), out) || "."}/resources.json, manifests.yaml, footprint.json, mesh.mmd${inventory ? ", live.json" : ""} and policy.json`);
  console.log(lines.join("\n"));

  const mandatory = countByLevel(policy.violations).mandatory ?? 0;
  if (mandatory > 0) {
    console.error(`plan: ${mandatory} mandatory policy violation${mandatory === 1 ? "" : "s"} (listed above): \`pulumi preview\` would fail`);
  }
  const changing = run.imports.filter((i) => i.step !== "import");
  if (changing.length > 0) {
    console.error(
      `plan: ${changing.length} adopted resource${changing.length === 1 ? "" : "s"} would be changed right after the import ` +
        "(listed above): make the stack config match the live resource (README, adopting production)",
    );
  }
  return mandatory > 0 || changing.length > 0 ? 1 : 0;
}

/** --upgrade-to: the hop plan only; the plan folder is left as it is. */
function printUpgrade(root: string, args: Args, to: string): number {
  let stack;
  try {
    stack = readStackConfig(root, args.stack, args.config);
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    console.error(`plan: ${err.message}`);
    return 2;
  }
  const report = upgradeReport(stack, args.config ?? `Pulumi.${args.stack}.yaml`, to, today(), args.clusterVersion);
  console.log(report.lines.slice(0, report.code === 0 ? undefined : -1).join("\n"));
  if (report.code !== 0) console.error(report.lines[report.lines.length - 1]);
  return report.code;
}

// Interrupted: exiting lets the policy host (tools/policy-host/children.ts) end the preview pass and the policy pack.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`plan: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
