// The readable summary of a plan: the component tree with what each holds, then counts by type.
import { type PlannedResource, plainValue } from "./contract";
import type { SimulatedValues } from "./world";

const shortType = (type: string) => type.split(":").pop() ?? type;

function flags(r: PlannedResource): string {
  const f = [r.protect ? "protected" : "", r.importId ? "imported" : ""].filter(Boolean);
  return f.length ? ` [${f.join(", ")}]` : "";
}

/** The component tree: components as branches, their custom resources summarised as "N Type" leaves. */
export function componentTree(resources: PlannedResource[]): string[] {
  const children = new Map<string | null, PlannedResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const isComponent = (r: PlannedResource) => (children.get(r.urn)?.length ?? 0) > 0 || r.type === "pulumi:pulumi:Stack";
  const lines: string[] = [];
  const walk = (r: PlannedResource, prefix: string, last: boolean, root: boolean) => {
    lines.push(`${root ? "" : `${prefix}${last ? "└─ " : "├─ "}`}${r.type} ${r.name}${flags(r)}`);
    const kids = children.get(r.urn) ?? [];
    const branches = kids.filter(isComponent);
    const leaves = kids.filter((k) => !isComponent(k));
    const items: string[] = [];
    // Leaves that need attention (protected, imported) are shown alone; the rest are counted by type.
    const counts = new Map<string, number>();
    for (const leaf of leaves) {
      if (leaf.protect || leaf.importId) items.push(`${shortType(leaf.type)} ${leaf.name}${flags(leaf)}`);
      else counts.set(shortType(leaf.type), (counts.get(shortType(leaf.type)) ?? 0) + 1);
    }
    for (const [t, n] of counts) items.push(`${n} ${t}`);
    const childPrefix = root ? "" : `${prefix}${last ? "   " : "│  "}`;
    const total = items.length + branches.length;
    items.forEach((item, i) => lines.push(`${childPrefix}${i === total - 1 ? "└─ " : "├─ "}${item}`));
    branches.forEach((b, i) => walk(b, childPrefix, items.length + i === total - 1, false));
  };
  for (const root of children.get(null) ?? []) walk(root, "", true, true);
  return lines;
}

export function countsByType(resources: PlannedResource[]): string[] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${String(n).padStart(4)}  ${t}`);
}

/** "312 resources (1 stack, 41 components, 270 custom resources)": what the figure counts. */
export function resourceCounts(resources: PlannedResource[]): string {
  const stacks = resources.filter((r) => r.type === "pulumi:pulumi:Stack").length;
  const parents = new Set(resources.map((r) => r.parent));
  const components = resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && parents.has(r.urn)).length;
  const custom = resources.length - stacks - components;
  return `${resources.length} resources (${stacks} stack, ${components} components, ${custom} custom resources)`;
}

export function outputLines(outputs: Record<string, unknown>, simulated?: SimulatedValues): string[] {
  const texts = simulated?.texts() ?? [];
  return Object.entries(plainValue(outputs) as Record<string, unknown>).map(([k, v]) => {
    const text = JSON.stringify(v);
    return `  ${k}: ${text}${texts.some((t) => text.includes(t)) ? " (simulated)" : ""}`;
  });
}

/**
 * Which made-up values the plan holds, and where: input fields (resources.json lists them per resource under
 * "simulated") and stack outputs (marked "(simulated)" above).
 */
export function simulatedLines(resources: PlannedResource[], outputs: Record<string, unknown>, simulated: SimulatedValues): string[] {
  const plainOutputs = JSON.stringify(plainValue(outputs));
  const marked = resources.filter((r) => r.simulated);
  const used = simulated
    .texts()
    .filter((t) => plainOutputs.includes(t) || marked.some((r) => JSON.stringify(r.inputs).includes(t)));
  if (used.length === 0) return [];
  const fields = marked.reduce((n, r) => n + (r.simulated?.length ?? 0), 0);
  const where =
    fields > 0
      ? `in ${fields} input field${fields === 1 ? "" : "s"} of ${marked.length} resource${marked.length === 1 ? "" : "s"} (listed under "simulated" in resources.json)`
      : "in stack outputs only, no resource input";
  return [`Simulated values (made up offline; a real run reads them from Azure): ${used.map((t) => `${simulated.what(t)} ${t}`).join(", ")}`, `  ${where}`];
}
