// npm run plan -- <stack> [--out DIR]
// Runs the program for Pulumi.<stack>.yaml under the mock runtime and writes DIR (default plan/<stack>):
// resources.json and manifests.yaml (see contract.ts). Exit 0 on success, 1 when the plan fails, 2 on bad usage or
// configuration.
import fs from "node:fs";
import path from "node:path";
import { kubernetesManifests, manifestsYaml, plannedResources } from "./contract";
import { ProgramError, runProgram } from "./run";
import { StackFileError } from "./stack-config";
import { componentTree, countsByType, outputLines } from "./summary";

const USAGE = "usage: npm run plan -- <stack> [--out DIR]";

interface Args {
  stack: string;
  out?: string;
}

function parseArgs(argv: string[]): Args | string {
  let stack: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--out") {
      out = argv[++i];
      if (!out) return "--out needs a directory";
    } else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else if (a.startsWith("-")) return `unknown option ${a}`;
    else if (stack) return `one stack at a time (got ${stack} and ${a})`;
    else stack = a;
  }
  return stack ? { stack, out } : "name a stack, e.g. dev or prod";
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`plan: ${args}\n${USAGE}`);
    return 2;
  }
  const root = path.resolve(__dirname, "..", "..");
  const out = path.resolve(args.out ?? path.join(root, "plan", args.stack));
  const started = process.hrtime.bigint();

  let run;
  try {
    run = await runProgram({ root, stack: args.stack, preview: false });
  } catch (err) {
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

  const resources = plannedResources(run.resources);
  const manifests = kubernetesManifests(resources);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "resources.json"), `${JSON.stringify(resources, null, 2)}\n`);
  fs.writeFileSync(path.join(out, "manifests.yaml"), manifestsYaml(manifests));

  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const lines = [
    `Plan of stack "${args.stack}" (${run.stack.project}): ${resources.length} resources, ${manifests.length} Kubernetes objects, ${ms.toFixed(0)} ms`,
    "",
    ...componentTree(resources),
    "",
    "Resources by type:",
    ...countsByType(resources),
    "",
    "Stack outputs:",
    ...outputLines(run.outputs),
  ];
  if (run.stack.placeholders.length > 0) {
    lines.push("", `Secrets planned with a placeholder (set them with pulumi config set --secret): ${run.stack.placeholders.join(", ")}`);
  }
  lines.push("", `Wrote ${path.relative(process.cwd(), out) || "."}/resources.json and manifests.yaml`);
  console.log(lines.join("\n"));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`plan: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
