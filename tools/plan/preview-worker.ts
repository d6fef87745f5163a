// The preview pass's worker (forked by the policy host's startPreviewPass): runs the program as `pulumi preview`
// does, in its own process, and answers with what the policy run reads.
import { answerPreviewPass } from "../policy-host";
import { ProgramError, runProgram } from "./run";
import { StackFileError } from "./stack-config";

export interface PreviewInput {
  root: string;
  stack: string;
  stackFile?: string;
  /** Kubernetes version the simulated existing cluster reports (plan --cluster-version). */
  clusterKubernetesVersion?: string;
}

/** This module's path, for startPreviewPass. */
export const PREVIEW_WORKER = __filename;

if (require.main === module) {
  answerPreviewPass(
    async (input: PreviewInput) => {
      const run = await runProgram({ ...input, preview: true });
      return { stack: run.stack, resources: run.resources, engine: run.engine };
    },
    (err) => {
      if (err instanceof StackFileError) return { message: err.message, clean: true };
      if (err instanceof ProgramError) return { message: err.message, clean: err.clean };
      return undefined;
    },
  );
}
