// The URN guard of one committed stack: runs the program in this process under the offline plan's mock runtime (no
// policy pack, no CLI) and checks its URNs against test/urns/<stack>.txt as a real `pulumi up` would check them
// against the stack's state. Jest gives each test file its own Pulumi runtime, hence one file per stack.
import { runProgram } from "../../tools/plan/run";
import { baselineFile, checkUrns, readBaseline, type UrnCheck, urnProblems } from "../../tools/plan/urn-baseline";
import { ROOT } from "../harness";

export function guardUrns(stack: string): void {
  let check: UrnCheck;

  beforeAll(async () => {
    const run = await runProgram({ root: ROOT, stack, preview: false });
    check = checkUrns(readBaseline(baselineFile(ROOT, stack)), run.resources, { project: run.stack.project, stack });
  });

  test(`replaces no resource of the ${stack} baseline: each URN is kept or answered to by an alias`, () => {
    const problems = urnProblems({ ...check, errors: [] }, stack);
    if (problems) throw new Error(`would-be replaces in ${stack}:\n${problems}`);
  });

  test(`aliases no old URN of the ${stack} baseline twice, nor one another resource keeps`, () => {
    expect(check.errors).toEqual([]);
  });
}
