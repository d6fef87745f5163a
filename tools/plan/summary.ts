// The readable summary of a plan: the component tree with what each holds, then counts by type.
import { type PlannedResource, plainValue } from "./contract";

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

export function outputLines(outputs: Record<string, unknown>): string[] {
  return Object.entries(plainValue(outputs) as Record<string, unknown>).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
}
