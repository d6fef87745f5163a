// The policy run's outputs. policy.json is part of the plan contract (read by outside checks; change it only
// additively): an array of {"policy", "enforcementLevel", "urn", "message"}, one entry per violation of any level,
// sorted by policy, then URN, then message. The summary prints the violations grouped by policy.
import path from "node:path";
import type { PolicyRunResult, PolicyViolation } from "./run";

export function policyJson(violations: PolicyViolation[]): string {
  const entries = violations.map((v) => ({
    policy: v.policy,
    enforcementLevel: v.enforcementLevel,
    urn: v.urn,
    message: v.message,
  }));
  return `${JSON.stringify(entries, null, 2)}\n`;
}

/** "type name" of a URN: the last part of its qualified type, and its name. */
export function urnLabel(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return parts.length >= 4 ? `${type} ${parts.slice(3).join("::")}` : urn || "(the stack)";
}

export function countByLevel(violations: PolicyViolation[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of violations) counts[v.enforcementLevel] = (counts[v.enforcementLevel] ?? 0) + 1;
  return counts;
}

/** What the analyzed count holds, next to the plan's own count: the engine also analyzes its default providers. */
export function analyzedCount(result: Pick<PolicyRunResult, "analyzed" | "defaultProviders">, planned: number): string {
  const registered = result.analyzed - result.defaultProviders;
  const providers = `${result.defaultProviders} default provider${result.defaultProviders === 1 ? "" : "s"} the engine adds`;
  return registered === planned
    ? `${result.analyzed} resources analyzed (the plan's ${planned} and the ${providers})`
    : `${result.analyzed} resources analyzed (the preview pass's ${registered}, where the plan has ${planned}, and the ${providers})`;
}

/** The policy section of the plan summary; `planned` is the plan's resource count. */
export function policyLines(result: PolicyRunResult, packDir: string, planned: number): string[] {
  const rel = (p: string) => path.relative(process.cwd(), p) || ".";
  const { info, violations } = result;
  const lines = [
    `Policy pack ${info.name} ${info.version} (${rel(packDir)}, config: ${result.configSource ? rel(result.configSource) : "pack defaults"}): ` +
      `${info.policies.length} policies, ${analyzedCount(result, planned)} in ${result.analyzeMs} ms`,
  ];
  if (result.output.length > 0) {
    lines.push("  Policy pack output:", ...result.output.map((l) => `    ${l}`));
  }
  if (violations.length === 0) {
    lines.push("  No policy violations.");
    return lines;
  }
  const counts = countByLevel(violations);
  lines.push(
    `  Policy violations: ${Object.entries(counts)
      .map(([level, n]) => `${n} ${level}`)
      .join(", ")}`,
  );
  const byPolicy = new Map<string, PolicyViolation[]>();
  for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  for (const [policy, list] of byPolicy) {
    const levels = [...new Set(list.map((v) => v.enforcementLevel))].join("/");
    lines.push(`  [${levels}] ${policy} (${list.length})`);
    for (const v of list) {
      lines.push(`    ${urnLabel(v.urn)}`);
      for (const l of v.message.split("\n")) lines.push(`      ${l}`);
    }
  }
  return lines;
}
