// The URN baseline: for each committed stack, the URNs of every resource it may have deployed (test/urns/<stack>.txt).
// A real `pulumi up` looks each registered resource up in the state by its URN, then by its aliases; an old URN that
// nothing answers to is deleted, and its object created anew under the new URN: a replace. Checked here against the
// baseline as the engine would check it against the state (aliases.ts, matchState).
import fs from "node:fs";
import path from "node:path";
import { matchState, urnParts, type UrnScope } from "./aliases";
import type { RecordedResource } from "./monitor";

/** Where a stack's baseline lives, relative to the project root. */
export function baselineFile(root: string, stack: string): string {
  return path.join(root, "test", "urns", `${stack}.txt`);
}

const HEADER = [
  "# URNs this stack may have deployed: a refactor must keep each one or answer to it through an alias.",
  "# Written by `npm run urns:update`; see the README, \"Refactors keep URNs\".",
];

/** The URNs of a baseline file (one a line; "#" comments and blank lines skipped). */
export function readBaseline(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

export function baselineText(urns: Iterable<string>): string {
  return `${[...HEADER, ...[...new Set(urns)].sort()].join("\n")}\n`;
}

/** An old URN nothing answers to, with the new resources that may be it (same type, not answering to anything). */
export interface WouldReplace {
  urn: string;
  candidates: string[];
}

export interface UrnCheck {
  /** Baseline URNs no resource has or answers to: a real `pulumi up` would delete them. */
  replaced: WouldReplace[];
  /** Registrations the engine rejects: an old URN aliased twice, or aliased while another resource registers it. */
  errors: string[];
  /** Old URN -> the new URN that takes it over through an alias. */
  answered: Map<string, string>;
  /** URNs not in the baseline and answering to none of it: resources a `pulumi up` would create. */
  added: string[];
}

export function checkUrns(baseline: readonly string[], resources: readonly RecordedResource[], scope: UrnScope): UrnCheck {
  const olds = new Set(baseline);
  const regs = resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, aliases: r.aliasSpecs }));
  const { aliased, errors } = matchState(regs, scope, olds);
  const current = new Set(resources.map((r) => r.urn));
  // A baseline holds the URNs of every version a stack may still run: once urns:update has added a renamed resource's
  // new URN, a stack not yet updated still holds only the old one. Match against that earlier state too, where the
  // engine finds the resource by its alias, not by its own URN.
  const earlier = matchState(regs, scope, new Set(baseline.filter((urn) => !current.has(urn))));
  const answered = new Map([...earlier.aliased, ...aliased].map(([now, old]) => [old, now] as const));
  for (const e of earlier.errors) if (!errors.includes(e)) errors.push(e);
  const added = resources.map((r) => r.urn).filter((urn) => !olds.has(urn) && !aliased.has(urn));
  const replaced = baseline
    .filter((urn) => !current.has(urn) && !answered.has(urn))
    .map((urn) => {
      const old = urnParts(urn);
      const sameType = added.filter((a) => urnParts(a).type === old.type);
      const sameName = sameType.filter((a) => urnParts(a).name === old.name);
      return { urn, candidates: sameName.length > 0 ? sameName : sameType };
    });
  return { replaced, errors, answered, added };
}

/** The alias that would make `now` answer to `old`: a spec when only the name changed, else the old URN. */
function suggestedAlias(old: string, now: string): string {
  const [o, n] = [urnParts(old), urnParts(now)];
  return o.qualifiedType === n.qualifiedType ? `{ name: "${o.name}" }` : `"${old}"`;
}

const depth = (urn: string) => urnParts(urn).qualifiedType.split("$").length;

/**
 * What a failed check says: each would-be replace, outermost first (a child inherits its parent's alias, so aliasing
 * a renamed or moved component often settles its children too), with the alias that would keep it; then the engine's
 * rejections.
 */
export function urnProblems(check: UrnCheck, stack: string): string {
  const lines: string[] = [];
  for (const { urn, candidates } of [...check.replaced].sort((a, b) => depth(a.urn) - depth(b.urn))) {
    lines.push(urn, `  nothing in the ${stack} plan has this URN or answers to it: \`pulumi up\` would delete it.`);
    for (const candidate of candidates.slice(0, 3)) {
      lines.push(`  If it is now ${candidate}, add aliases: [${suggestedAlias(urn, candidate)}] to that resource's options.`);
    }
    if (candidates.length === 0) lines.push(`  If it was renamed or moved, add aliases: ["${urn}"] to the resource it became.`);
  }
  if (check.replaced.length > 0) {
    lines.push("Only for a removal or replace that is deliberate: npm run urns:update -- --allow-removals");
  }
  lines.push(...check.errors);
  return lines.join("\n");
}
