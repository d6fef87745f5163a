// The preview pass: the program run the way `pulumi preview` runs it (computed outputs of created resources unknown),
// for the policy run. The Pulumi runtime is global state and the main pass owns this process's, so the preview pass
// runs in a child process started here, in parallel with the main pass, and hands its recorded resources back over
// the IPC channel. The child exits when the channel closes, so it never outlives the plan.
import { fork } from "node:child_process";
import { endWithThisProcess } from "./children";
import type { EngineRecord } from "./engine-monitor";
import type { RecordedResource } from "./monitor";
import { ProgramError, runProgram } from "./run";
import { StackFileError, type StackConfig } from "./stack-config";

export interface PreviewPass {
  stack: StackConfig;
  resources: RecordedResource[];
  engine: EngineRecord;
}

export interface PreviewOptions {
  root: string;
  stack: string;
  stackFile?: string;
  /** Kubernetes version the simulated existing cluster reports (plan --cluster-version). */
  clusterKubernetesVersion?: string;
  timeoutMs: number;
}

type Reply = { ok: true; pass: PreviewPass } | { ok: false; message: string; clean: boolean };

/** The preview pass failed; `clean` as for ProgramError (a config error rather than a crash). */
export class PreviewError extends Error {
  constructor(
    message: string,
    readonly clean: boolean,
  ) {
    super(message);
  }
}

export interface RunningPreview {
  result: Promise<PreviewPass>;
  stop(): void;
}

export function startPreviewPass(opts: PreviewOptions): RunningPreview {
  const child = fork(__filename, [JSON.stringify(opts)], {
    execArgv: ["--require", require.resolve("ts-node/register/transpile-only")],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  endWithThisProcess(child);
  const output: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (d: string) => output.push(d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => output.push(d));
  const tail = () => {
    const text = output.join("").trim().split("\n").slice(-20).join("\n    ");
    return text ? `; its last output:\n    ${text}` : "";
  };

  const result = new Promise<PreviewPass>((resolve, reject) => {
    let reply: Reply | undefined;
    const timer = setTimeout(() => {
      reject(new PreviewError(`the preview pass did not finish within ${opts.timeoutMs / 1000} s`, false));
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.on("message", (m: Reply) => {
      reply = m;
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new PreviewError(`cannot start the preview pass: ${err.message}`, false));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok) resolve(reply.pass);
      else if (reply) reject(new PreviewError(reply.message, reply.clean));
      else reject(new PreviewError(`the preview pass ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail()}`, false));
    });
  });
  result.catch(() => undefined);
  return {
    result,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

async function child(opts: PreviewOptions): Promise<Reply> {
  try {
    const run = await runProgram({
      root: opts.root,
      stack: opts.stack,
      stackFile: opts.stackFile,
      clusterKubernetesVersion: opts.clusterKubernetesVersion,
      preview: true,
    });
    return { ok: true, pass: { stack: run.stack, resources: run.resources, engine: run.engine } };
  } catch (err) {
    if (err instanceof StackFileError) return { ok: false, message: err.message, clean: true };
    if (err instanceof ProgramError) return { ok: false, message: err.message, clean: err.clean };
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, message: e.stack ?? e.message, clean: false };
  }
}

if (require.main === module && process.send) {
  // The parent went away: nothing will read the result.
  process.on("disconnect", () => process.exit(1));
  const opts = JSON.parse(process.argv[2] ?? "{}") as PreviewOptions;
  void child(opts).then((reply) => process.send?.(reply, () => process.exit(reply.ok ? 0 : 1)));
}
