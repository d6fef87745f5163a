// The offline policy run: the policy pack served as `pulumi preview --policy-pack DIR --policy-pack-config FILE`
// serves it, fed the preview pass's resources. The RPC sequence follows pulumi/pulumi:
//   start        pkg/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer: spawn, read the port, Handshake (packs that
//                predate it answer UNIMPLEMENTED), ConfigureStack (stack, project, organization, dry run, config, secret
//                keys, tags)
//   configure    pkg/engine/update.go loadPolicyPlugins: GetAnalyzerInfo, reconcile and validate the policy config,
//                Configure
//   per resource pkg/resource/deploy/step_generator.go: Remediate (its transformed properties become the inputs), then
//                Analyze with the inputs
//   at the end   step_generator.go AnalyzeResources: AnalyzeStack with every resource's outputs
// A mandatory violation fails `pulumi preview`; so it fails the plan.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import type { JsonObject } from "../../policy/lib";
import { LIVE_OBJECTS_PROPERTY } from "../../policy/live";
import { DEFAULT_ENVIRONMENT, type Environment, ENVIRONMENTS } from "../../policy/contract";
import { PRODUCTION_FLOOR } from "../../policy/floor";
import {
  addLiveObjects,
  type AnalyzerInfo,
  type EnforcementLevel,
  PolicyConfigError,
  readPolicyConfigFile,
  type ReconciledConfig,
  reconcilePolicyConfig,
} from "./config";
import { type AnalyzerView, analyzeRequest, analyzeStackRequest, engineResources, secretTexts } from "./engine";
import { enforcementLevel, FakeEngine, PolicyPackProcess, PolicyRunError, readPackProject } from "./host";
import type { PolicyStack, PreviewPass } from "./pass";

/** One violation, as policy.json records it. */
export interface PolicyViolation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  urn: string;
  message: string;
}

export interface PolicyTimeouts {
  /** Until the pack prints its port. */
  startMs: number;
  /** Per RPC. */
  rpcMs: number;
}

// Generous but bounded: run-policy-pack type-checks a TypeScript pack with ts-node before it listens (about 3 s alone,
// several times that on a loaded 2-core machine), and a hung pack must still fail the plan rather than block it. The
// preview pass (the whole program in a child process) gets the longest: it took over 60 s on a 2-core machine running
// three other plans.
export const DEFAULT_TIMEOUTS: PolicyTimeouts & { previewMs: number } = {
  startMs: 90_000,
  rpcMs: 60_000,
  previewMs: 180_000,
};

export interface PolicyRunOptions {
  root: string;
  stack: PolicyStack;
  /** The pack folder (holding PulumiPolicy.yaml). */
  packDir: string;
  /** --policy-pack-config; default <packDir>/<environment>.json when it exists. */
  configFile?: string;
  timeouts: PolicyTimeouts;
  /** --live: the cluster's own objects, added to the config of every policy that reads them (policy/live.ts). */
  liveObjects?: JsonObject[];
}

/** The environment a stack declares (config <project>:environment), and whether it said so or got the default. */
export function stackEnvironment(stack: PolicyStack): { environment: Environment; declared: boolean } {
  const given = stack.config[`${stack.project}:environment`];
  // An unknown value is the program's config error to report (exit 2); until then, the strict levels.
  const known = ENVIRONMENTS.find((e) => e === given);
  return known ? { environment: known, declared: true } : { environment: DEFAULT_ENVIRONMENT, declared: false };
}

/** Where the policy config comes from: --policy-pack-config, else the environment's levels file when the pack has one. */
export function policyConfigSource(
  opts: Pick<PolicyRunOptions, "packDir" | "configFile" | "stack">,
): string | undefined {
  if (opts.configFile) return path.resolve(opts.configFile);
  const candidate = path.join(opts.packDir, `${stackEnvironment(opts.stack).environment}.json`);
  return fs.existsSync(candidate) ? candidate : undefined;
}

/**
 * The production floor (policy/floor.ts): for a production stack, every floor policy the pack serves must run
 * mandatory (or remediate) after reconciling, whatever file set its level. Throws PolicyConfigError naming each one.
 */
export function checkProductionFloor(
  stack: PolicyStack,
  configured: Record<string, ReconciledConfig>,
  source: string,
): void {
  const { environment, declared } = stackEnvironment(stack);
  if (environment !== "production") return;
  const why = declared ? `${stack.project}:environment is "production"` : `${stack.project}:environment is not set`;
  const problems = PRODUCTION_FLOOR.flatMap((name) => {
    const level = configured[name]?.enforcementLevel;
    if (level === undefined || level === "mandatory" || level === "remediate") return [];
    return [
      `${source}: ${name}: "${level}" is below the production floor: stack "${stack.stack}" is a production stack ` +
        `(${why}), which runs this policy mandatory (policy/floor.ts). Set it to "mandatory"; a development stack ` +
        `sets ${stack.project}:environment to "development" instead.`,
    ];
  });
  if (problems.length > 0) throw new PolicyConfigError(problems.join("\n"));
}

/** The organization the DIY backend reports (pulumi/pulumi pkg/backend/diy: always "organization"). */
const ORGANIZATION = "organization";

/** Stack tags the CLI derives from Pulumi.yaml and the `pulumi:tags` config (backend.GetEnvironmentTagsForCurrentStack). */
function stackTags(root: string, stack: PolicyStack): Record<string, string> {
  const tags: Record<string, string> = { "pulumi:project": stack.project };
  try {
    const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    const runtime = project.runtime;
    const name = typeof runtime === "string" ? runtime : (runtime as { name?: unknown } | undefined)?.name;
    if (typeof name === "string") tags["pulumi:runtime"] = name;
    if (typeof project.description === "string") tags["pulumi:description"] = project.description;
  } catch {
    // Pulumi.yaml was already read for the stack config; a second failure only costs the descriptive tags.
  }
  const configured = stack.config["pulumi:tags"];
  if (configured) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(configured) as Record<string, unknown>)) {
        if (typeof v === "string") tags[k] = v;
      }
    } catch {
      // Not an object: the CLI refuses the stack; the program's own config validation reports it.
    }
  }
  return tags;
}

/** A started and configured pack, ready for the preview pass's resources. */
export interface ConfiguredPack {
  process: PolicyPackProcess;
  engine: FakeEngine;
  info: AnalyzerInfo;
  configSource?: string;
  /** Milliseconds from spawn to port, and from port to configured. */
  timings: { startMs: number; configureMs: number };
}

export interface StartingPack {
  ready: Promise<ConfiguredPack>;
  /** Ends the pack whatever state it is in. */
  stop(): Promise<void>;
}

/** Starts the pack and configures it; the preview pass runs meanwhile. */
export function startPolicyPack(opts: PolicyRunOptions): StartingPack {
  let engine: FakeEngine | undefined;
  let proc: PolicyPackProcess | undefined;
  let stopped = false;
  const stop = async () => {
    stopped = true;
    await proc?.stop();
    engine?.stop();
  };
  const ready = (async (): Promise<ConfiguredPack> => {
    const pack = readPackProject(path.resolve(opts.packDir));
    const configSource = policyConfigSource(opts);
    // Read the file before spawning anything: a broken file is a config error, not a pack failure.
    const fromFile = configSource ? readPolicyConfigFile(configSource) : {};
    engine = await FakeEngine.start();
    if (stopped) {
      engine.stop();
      throw new PolicyRunError("the policy run was stopped");
    }
    const { stack } = opts;
    const t0 = Date.now();
    proc = await PolicyPackProcess.start({
      pack,
      engineAddress: engine.address,
      env: {
        PULUMI_NODEJS_ORGANIZATION: ORGANIZATION,
        PULUMI_NODEJS_PROJECT: stack.project,
        PULUMI_NODEJS_STACK: stack.stack,
        PULUMI_NODEJS_DRY_RUN: "true",
        PULUMI_NODEJS_TYPESCRIPT: "true",
        PULUMI_CONFIG: JSON.stringify(stack.config),
      },
      startTimeoutMs: opts.timeouts.startMs,
      rpcTimeoutMs: opts.timeouts.rpcMs,
    });
    if (stopped) {
      await proc.stop();
      throw new PolicyRunError("the policy run was stopped");
    }
    const t1 = Date.now();
    await proc.handshake(engine.address);
    await proc.configureStack({
      stack: stack.stack,
      project: stack.project,
      organization: ORGANIZATION,
      dryRun: true,
      config: stack.config,
      secretKeys: stack.secretKeys,
      tags: stackTags(opts.root, stack),
    });
    const info = await proc.getAnalyzerInfo();
    const environment = stackEnvironment(stack).environment;
    const shown = configSource
      ? path.relative(process.cwd(), configSource) || configSource
      : `the defaults of pack ${info.name} (no ${path.relative(process.cwd(), path.join(opts.packDir, `${environment}.json`))})`;
    let config = fromFile;
    if (opts.liveObjects) {
      const readers = info.policies.filter((p) => p.configSchema?.properties[LIVE_OBJECTS_PROPERTY]).map((p) => p.name);
      if (readers.length === 0) {
        throw new PolicyConfigError(
          `--live: no policy of pack ${info.name} reads live objects (${LIVE_OBJECTS_PROPERTY})`,
        );
      }
      config = addLiveObjects(fromFile, readers, opts.liveObjects);
    }
    const reconciled = reconcilePolicyConfig(info, config, shown);
    checkProductionFloor(stack, reconciled, shown);
    await proc.configure(reconciled);
    return {
      process: proc,
      engine,
      info,
      ...(configSource ? { configSource } : {}),
      timings: { startMs: t1 - t0, configureMs: Date.now() - t1 },
    };
  })();
  ready.catch(() => undefined);
  return { ready, stop };
}

export interface PolicyRunResult {
  info: AnalyzerInfo;
  configSource?: string;
  violations: PolicyViolation[];
  /** Resources sent to Analyze: the preview pass's resources plus the default providers the engine adds. */
  analyzed: number;
  /** How many of `analyzed` are default providers (not registered by the program, so not in resources.json). */
  defaultProviders: number;
  /** What the pack printed or logged (secrets redacted). */
  output: string[];
  analyzeMs: number;
}

/** Replaces every secret text in `s` with "[secret]", also where a message quoted it as a JSON string. */
export function redactor(secrets: string[]): (s: string) => string {
  const forms = [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))].sort(
    (a, b) => b.length - a.length,
  );
  return (s) => forms.reduce((text, secret) => text.split(secret).join("[secret]"), s);
}

async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

/**
 * What the violation says. @pulumi/policy sends a string violation as "<policy description>\n<message>"
 * (server.js makeReportViolationFun), and the description travels in its own field too: the message alone is the
 * one sentence about this resource, so the report keeps just that (the description is the policy's, listed once in
 * the README's table). A violation without a message of its own is its description.
 */
export function violationMessage(message: string, description: string): string {
  return description !== "" && message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message;
}

function diagnostics(res: analyzerproto.AnalyzeResponse | undefined) {
  return (res?.getDiagnosticsList() ?? []).map((d) => {
    const level = enforcementLevel(d.getEnforcementlevel());
    return {
      policy: d.getPolicyname(),
      // A remediation that still violates is reported as mandatory, as the engine does.
      enforcementLevel: level === "remediate" ? ("mandatory" as const) : level,
      urn: d.getUrn(),
      message: violationMessage(d.getMessage(), d.getDescription()),
    };
  });
}

/** Sends every resource of the preview pass through the pack and collects the violations. */
export async function analyzeStack(configured: ConfiguredPack, preview: PreviewPass): Promise<PolicyRunResult> {
  const started = Date.now();
  const { process: pack } = configured;
  const views = engineResources(preview.stack, preview.resources, preview.engine);
  const configSecrets = preview.stack.secretKeys
    .map((k) => preview.stack.config[k])
    .filter((v): v is string => typeof v === "string" && v.length >= 4);
  const redact = redactor([
    ...new Set([
      ...secretTexts(views.flatMap((v) => [v.properties, v.outputs, v.provider?.properties ?? {}])),
      ...configSecrets,
    ]),
  ]);

  const found: PolicyViolation[] = [];
  // The engine analyzes resources as the program registers them, several at a time; the order of results is not
  // part of the contract (policy.json is sorted).
  await inBatches(views, 8, async (view: AnalyzerView) => {
    let properties = view.properties;
    const remediation = await pack.remediate(analyzeRequest(view));
    for (const r of remediation?.getRemediationsList() ?? []) {
      if (r.getDiagnostic()) {
        found.push({
          policy: r.getPolicyname(),
          enforcementLevel: "advisory",
          urn: view.urn,
          message: r.getDiagnostic(),
        });
      } else if (r.getProperties()) {
        properties = r.getProperties()?.toJavaScript() as Record<string, unknown>;
      }
    }
    const res = await pack.analyze(analyzeRequest(view, properties));
    for (const d of diagnostics(res)) found.push({ ...d, urn: view.urn });
  });

  const stackRes = await pack.analyzeStack(analyzeStackRequest(views));
  const urns = new Set(views.map((v) => v.urn));
  const root = views.find((v) => v.type === "pulumi:pulumi:Stack" && !v.parent)?.urn ?? "";
  for (const d of diagnostics(stackRes)) found.push({ ...d, urn: urns.has(d.urn) ? d.urn : root });

  const violations = found
    .map((v) => ({ policy: v.policy, enforcementLevel: v.enforcementLevel, urn: v.urn, message: redact(v.message) }))
    .sort(
      (a, b) => a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message),
    );
  const output = [
    ...pack.output,
    ...configured.engine.logs.map((l) => `${l.severity}: ${l.message}${l.urn ? ` (${l.urn})` : ""}`),
  ].map(redact);
  return {
    info: configured.info,
    ...(configured.configSource ? { configSource: configured.configSource } : {}),
    violations,
    analyzed: views.length,
    defaultProviders: views.length - preview.resources.length,
    output,
    analyzeMs: Date.now() - started,
  };
}
