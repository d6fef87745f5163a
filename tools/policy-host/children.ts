// Child processes of the plan (the preview pass, the policy pack) end with it, however it ends: a normal exit, an
// error, or Ctrl-C (cli.ts turns SIGINT/SIGTERM into an exit). Only SIGKILL of the plan itself can leave one behind.
import type { ChildProcess } from "node:child_process";

const running = new Set<ChildProcess>();
let hooked = false;

export function endWithThisProcess(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    });
  }
  running.add(child);
  child.once("exit", () => running.delete(child));
}
