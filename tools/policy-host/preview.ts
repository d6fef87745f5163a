// The preview pass: the program run the way `pulumi preview` runs it (computed outputs of created resources unknown),
// for the policy run. The Pulumi runtime is global state and the caller's main pass owns this process's, so the
// preview pass runs in a child process started here, in parallel with the main pass, and hands its recorded resources
// back over the IPC channel. The child exits when the channel closes, so it never outlives its parent.
// Running the program is the caller's: `worker` is a module that calls `answerPreviewPass` with the function that runs
// it (tools/plan/preview-worker.ts); this module only starts it, bounds it and carries its answer.
import { fork } from "node:child_process";
import { endWithThisProcess } from "./children";
import type { PreviewPass } from "./pass";

/** The worker's answer; `clean` as for a config error (shown without a stack trace). */
type Reply = { ok: true; pass: PreviewPass } | { ok: false; message: string; clean: boolean };

/** The preview pass failed; `clean` when it is a config error rather than a crash. */
export class PreviewError extends Error {
  constructor(
    message: string,
    readonly clean: boolean,
  ) {
    super(message);
  }
}

export interface PreviewPassOptions<I> {
  /** Absolute path of the worker module (TypeScript, run through ts-node as the plan itself runs). */
  worker: string;
  /** Handed to the worker's run function; must survive JSON. */
  input: I;
  timeoutMs: number;
}

export interface RunningPreview {
  result: Promise<PreviewPass>;
  stop(): void;
}

export function startPreviewPass<I>(opts: PreviewPassOptions<I>): RunningPreview {
  const child = fork(opts.worker, [JSON.stringify(opts.input)], {
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
      else
        reject(
          new PreviewError(
            `the preview pass ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail()}`,
            false,
          ),
        );
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

/** How the worker reports a failure: `clean` for a config error, `undefined` for a crash (shown with its stack). */
export type FailureReading = (err: unknown) => { message: string; clean: boolean } | undefined;

/**
 * The worker's side: when this process was forked by `startPreviewPass`, runs `run` with the input it was given and
 * sends the pass (or the failure, read by `failure`) back, then exits.
 */
export function answerPreviewPass<I>(run: (input: I) => Promise<PreviewPass>, failure: FailureReading): void {
  if (!process.send) return;
  // The parent went away: nothing will read the result.
  process.on("disconnect", () => process.exit(1));
  const input = JSON.parse(process.argv[2] ?? "{}") as I;
  const reply = run(input).then(
    (pass): Reply => ({ ok: true, pass }),
    (err: unknown): Reply => {
      const known = failure(err);
      if (known) return { ok: false, ...known };
      const e = err instanceof Error ? err : new Error(String(err));
      return { ok: false, message: e.stack ?? e.message, clean: false };
    },
  );
  void reply.then((r) => process.send?.(r, () => process.exit(r.ok ? 0 : 1)));
}
