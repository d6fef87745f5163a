// The one test harness: sets the Pulumi mock runtime with the offline plan's recording monitor and simulated world,
// so a test asserts on exactly what the engine would receive (inputs, parent, dependsOn, protect, import id).
// Jest gives every test file its own module registry, hence its own Pulumi runtime: call mockRuntime() once per file.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { type PlannedResource, plannedResources } from "../tools/plan/contract";
import type { ImportCheck } from "../tools/plan/azure-import";
import { installRecordingMonitor } from "../tools/plan/monitor";
import { DOCUMENTATION_ADDRESS, PLAN_SUBSCRIPTION, planMocks, type WorldOptions } from "../tools/plan/world";

export const ROOT = path.resolve(__dirname, "..");

export interface Harness {
  /** Every resource registered so far, inputs as plain JSON (secrets "[secret]"). */
  resources(): PlannedResource[];
  /** The one resource of this type (and name, if given); fails the test when there is not exactly one. */
  one(type: string, name?: string): PlannedResource;
  /** All resources of this type. */
  all(type: string): PlannedResource[];
  /** Every simulated import: what `pulumi up` would do to the live resource right after importing it. */
  imports(): ImportCheck[];
  /** Waits until every pending registration has reached the monitor. */
  settle(): Promise<void>;
}

export interface MockOptions {
  stack?: string;
  preview?: boolean;
  /** Raw config ("aks-mesh:key" -> value as text). */
  config?: Record<string, string>;
  secretKeys?: string[];
  /** Region and address the simulated Azure answers with. */
  location?: string;
  publicIpAddress?: string;
  /** The adopted IP as the stack file describes it, and GET bodies by resource id (tools/plan/world.ts). */
  adoptedIp?: WorldOptions["adoptedIp"];
  azureResources?: WorldOptions["azureResources"];
}

export async function mockRuntime(opts: MockOptions = {}): Promise<Harness> {
  const stack = opts.stack ?? "test";
  const preview = opts.preview ?? false;
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  const mocks = planMocks({
    location: opts.location ?? "koreacentral",
    subscriptionId: PLAN_SUBSCRIPTION,
    publicIpAddress: opts.publicIpAddress ?? DOCUMENTATION_ADDRESS,
    preview,
    ...(opts.adoptedIp ? { adoptedIp: opts.adoptedIp } : {}),
    ...(opts.azureResources ? { azureResources: opts.azureResources } : {}),
  });
  const monitor = await installRecordingMonitor(mocks, "aks-mesh", stack, preview);

  const resources = () => plannedResources(monitor.resources);
  const matching = (type: string, name?: string) =>
    resources().filter((r) => r.type === type && (name === undefined || r.name === name));
  return {
    resources,
    all: (type) => matching(type),
    imports: () => monitor.imports,
    one(type, name) {
      const found = matching(type, name);
      if (found.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
      }
      return found[0] as PlannedResource;
    },
    settle: async () => {
      const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
      // Registrations started inside applies may still be queued behind the ones we awaited; drain twice.
      await runtime.waitForRPCs?.();
      await new Promise((r) => setImmediate(r));
      await runtime.waitForRPCs?.();
    },
  };
}

/** Resolves an Output in a test (mocks resolve every known value). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run plan` (the real CLI, in its own process) and returns its exit code and output. Its deadlines are raised
 * tenfold (--timeout-factor): these tests are about what a plan says, not how fast a busy machine starts a pack; the
 * deadlines themselves are tested with fixture packs that never answer (policy-failures.e2e.test.ts).
 */
export async function planCli(args: string[]): Promise<CliResult> {
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [tsNode, "--transpile-only", path.join(ROOT, "tools", "plan", "cli.ts"), ...args, "--timeout-factor", "10"],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: "0" } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(prefix = "aks-mesh-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
