// npm run urns:update [-- [--allow-removals] [stack ...]]
// Refreshes the URN baselines (test/urns/<stack>.txt; default: every stack with a Pulumi.<stack>.yaml) from the
// program as it is now. A baseline only grows: it gains the URNs of new resources and keeps every old URN that an
// alias still answers to (a stack not yet updated still holds it). A baseline URN nothing answers to would be
// replaced by `pulumi up`; it is dropped only with --allow-removals, for a removal or replace that is deliberate.
// Each stack runs in its own process: the Pulumi runtime is global state.
import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ProgramError, runProgram } from "./run";
import { StackFileError } from "./stack-config";
import { baselineFile, baselineText, checkUrns, readBaseline, urnProblems } from "./urn-baseline";

const ROOT = path.resolve(__dirname, "..", "..");
const USAGE = "usage: npm run urns:update -- [--allow-removals] [stack ...]";

async function updateOne(stack: string, allowRemovals: boolean): Promise<number> {
  const file = baselineFile(ROOT, stack);
  const baseline = fs.existsSync(file) ? readBaseline(file) : [];
  const run = await runProgram({ root: ROOT, stack, preview: false });
  const check = checkUrns(baseline, run.resources, { project: run.stack.project, stack });
  const where = path.relative(process.cwd(), file);
  if (check.errors.length > 0) {
    console.error(`urns:update: ${stack}: the engine would reject these aliases; ${where} is unchanged:\n${check.errors.join("\n")}`);
    return 1;
  }
  if (check.replaced.length > 0 && !allowRemovals) {
    console.error(
      `urns:update: ${stack}: a real \`pulumi up\` would delete these (and create any successor anew); ${where} is unchanged.\n${urnProblems(check, stack)}`,
    );
    return 1;
  }
  const kept = [...check.answered.keys()];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, baselineText([...run.resources.map((r) => r.urn), ...kept]));
  const lines = [`${where}: ${check.added.length} added, ${kept.length} kept through aliases, ${check.replaced.length} removed`];
  for (const urn of check.added) lines.push(`  + ${urn}`);
  for (const [old, now] of check.answered) lines.push(`  = ${old} (alias of ${now})`);
  for (const { urn } of check.replaced) lines.push(`  - ${urn}`);
  console.log(lines.join("\n"));
  return 0;
}

function inChild(stack: string, allowRemovals: boolean): Promise<number> {
  const child = fork(__filename, ["--one", stack, ...(allowRemovals ? ["--allow-removals"] : [])], {
    execArgv: ["--require", require.resolve("ts-node/register/transpile-only")],
    stdio: "inherit",
  });
  return new Promise((resolve) => child.once("close", (code) => resolve(code ?? 1)));
}

async function main(argv: string[]): Promise<number> {
  const allowRemovals = argv.includes("--allow-removals");
  const unknown = argv.find((a) => a.startsWith("-") && a !== "--allow-removals" && a !== "--one");
  if (unknown) {
    console.error(`urns:update: unknown option ${unknown}\n${USAGE}`);
    return 2;
  }
  const stacks = argv.filter((a) => !a.startsWith("-"));
  if (argv.includes("--one")) {
    try {
      return await updateOne(stacks[0] ?? "", allowRemovals);
    } catch (err) {
      if (err instanceof StackFileError || (err instanceof ProgramError && err.clean)) {
        console.error(`urns:update: ${err.message}`);
        return 2;
      }
      throw err;
    }
  }
  const all = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
  let status = 0;
  for (const stack of stacks.length > 0 ? stacks : all) status = Math.max(status, await inChild(stack, allowRemovals));
  return status;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`urns:update: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
