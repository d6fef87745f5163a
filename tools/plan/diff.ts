// `npm run plan -- <stack> --diff [DIR]`: what changed since a previous plan, shown as `pulumi preview --diff` shows it
// (+ create, - delete, ~ update, +- replace; then the changed input fields by path). Pure functions over two plans as
// the contract writes them (resources.json, policy.json), so a diff never needs the program or the pack again.
//
// Resources are matched by URN, or by an old URN a resource answers to through its `aliases` (as `pulumi up` takes
// the old state over: no delete, no create). A resource whose URN is gone and another with the same parent and name but a new type
// is one replacement (the URN carries the type, so `pulumi up` deletes the old one and creates the new one). A
// resource keeping its URN is replaced when a changed field is one its provider cannot update in place:
//   Kubernetes  metadata.name and metadata.namespace of every object, plus the per-kind fields pulumi-kubernetes
//               lists in provider/pkg/provider/force_new.go (Deployment spec.selector, Service spec.clusterIP and
//               spec.type, ConfigMap data, Secret data, RoleBinding roleRef, ...); a Helm release's name and namespace;
//   Azure       location and the parameters of the resource id (resourceGroupName, the resource's own *Name, scope);
//               a role assignment cannot be updated at all (ARM answers RoleAssignmentUpdateNotPermitted).
// This is the plan's estimate: the provider's own Diff decides on `pulumi preview`, with the live state.
import { fieldPath, isKubernetesObject, type PlannedResource, SECRET } from "./contract";

/** One entry of policy.json. */
export interface PlannedViolation {
  policy: string;
  enforcementLevel: string;
  urn: string;
  message: string;
}

export interface Plan {
  resources: PlannedResource[];
  violations: PlannedViolation[];
}

export interface FieldChange {
  /** Path of the input field: `spec.values.global.proxy.resources.limits.memory`, `containers[0].image`. */
  path: string;
  kind: "add" | "delete" | "update";
  before?: unknown;
  after?: unknown;
  /** The provider replaces the resource for this change. */
  replaces: boolean;
}

export interface ResourceChange {
  op: "create" | "delete" | "update" | "replace";
  urn: string;
  type: string;
  name: string;
  /** For a replacement by a new type: the URN it replaces. */
  replacedUrn?: string;
  /** For a resource that took over an old URN through an alias: that URN. */
  aliasedUrn?: string;
  /** Input fields that changed (update and replace of the same URN). */
  fields: FieldChange[];
}

export interface PlanDiff {
  resources: ResourceChange[];
  unchanged: number;
  newViolations: PlannedViolation[];
  resolvedViolations: PlannedViolation[];
}

// Kubernetes kinds whose listed fields cannot change in place (pulumi-kubernetes force_new.go), by "group/Kind".
const K8S_FORCE_NEW: Record<string, string[]> = {
  "apps/Deployment": ["spec.selector"],
  "apps/StatefulSet": [
    "spec.podManagementPolicy",
    "spec.revisionHistoryLimit",
    "spec.selector",
    "spec.serviceName",
    "spec.volumeClaimTemplates",
  ],
  "core/ConfigMap": ["binaryData", "data"],
  "core/Secret": ["type", "stringData", "data"],
  "core/Service": ["spec.clusterIP", "spec.type"],
  "core/PersistentVolumeClaim": ["spec"],
  "batch/Job": ["spec.selector", "spec.template"],
  "rbac.authorization.k8s.io/RoleBinding": ["roleRef"],
  "rbac.authorization.k8s.io/ClusterRoleBinding": ["roleRef"],
  "storage.k8s.io/StorageClass": ["parameters", "provisioner"],
};

/** Input paths (dotted, no array indices) whose change replaces a resource of this type. */
export function forceNewPaths(type: string, inputs: Record<string, unknown>): string[] | "all" {
  if (type === "kubernetes:helm.sh/v3:Release" || type === "kubernetes:helm.sh/v4:Chart") return ["name", "namespace"];
  if (isKubernetesObject(type)) {
    const [, groupVersion = "", kind = ""] = type.split(":");
    const group = groupVersion.split("/")[0] ?? "";
    return ["metadata.name", "metadata.namespace", ...(K8S_FORCE_NEW[`${group}/${kind}`] ?? [])];
  }
  if (type.startsWith("azure-native:")) {
    if (type === "azure-native:authorization:RoleAssignment") return "all";
    const idParameters = Object.keys(inputs).filter((k) => k === "scope" || (k.endsWith("Name") && typeof inputs[k] === "string"));
    return ["location", ...idParameters];
  }
  return [];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/** Every leaf-most difference between two input trees, as paths. */
export function fieldChanges(before: unknown, after: unknown, path = ""): Omit<FieldChange, "replaces">[] {
  if (sameValue(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const p = fieldPath(path, k);
      if (!(k in before)) return [{ path: p, kind: "add" as const, after: after[k] }];
      if (!(k in after)) return [{ path: p, kind: "delete" as const, before: before[k] }];
      return fieldChanges(before[k], after[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: Omit<FieldChange, "replaces">[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = fieldPath(path, i);
      if (i >= before.length) changes.push({ path: p, kind: "add", after: after[i] });
      else if (i >= after.length) changes.push({ path: p, kind: "delete", before: before[i] });
      else changes.push(...fieldChanges(before[i], after[i], p));
    }
    return changes;
  }
  return [{ path, kind: "update", before, after }];
}

/** The path without array indices or quoting, for matching against force-new paths: `spec.ports`, `a.b`. */
const plainPath = (p: string) =>
  p
    .replace(/\[\d+\]/g, "")
    .replace(/\["((?:[^"\\]|\\.)*)"\]/g, (_m, k: string) => `.${JSON.parse(`"${k}"`) as string}`)
    .replace(/^\./, "");

function replaces(path: string, forceNew: string[] | "all"): boolean {
  if (forceNew === "all") return true;
  const p = plainPath(path);
  // A change inside a force-new field, or one that adds or removes a whole subtree holding one.
  return forceNew.some((f) => p === f || p.startsWith(`${f}.`) || f.startsWith(`${p}.`));
}

const violationKey = (v: PlannedViolation) => JSON.stringify([v.policy, v.enforcementLevel, v.urn, v.message]);

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [r.urn, r]));
  const now = new Map(after.resources.map((r) => [r.urn, r]));
  const changes: ResourceChange[] = [];
  let unchanged = 0;

  // The first of a new resource's aliases that names a resource gone from the previous plan (each taken once).
  const takenOver = new Map<string, PlannedResource>();
  for (const r of after.resources) {
    if (old.has(r.urn)) continue;
    const alias = (r.aliases ?? []).find((a) => old.has(a) && !now.has(a) && ![...takenOver.values()].some((t) => t.urn === a));
    if (alias) takenOver.set(r.urn, old.get(alias) as PlannedResource);
  }
  const aliasedAway = new Set([...takenOver.values()].map((r) => r.urn));
  const gone = before.resources.filter((r) => !now.has(r.urn) && !aliasedAway.has(r.urn));
  const logical = (r: PlannedResource) => JSON.stringify([r.parent, r.name]);
  const goneByName = new Map(gone.map((r) => [logical(r), r]));
  const replacedByType = new Set<string>();

  for (const r of after.resources) {
    const aliased = takenOver.get(r.urn);
    const prev = old.get(r.urn) ?? aliased;
    if (!prev) {
      const sameName = goneByName.get(logical(r));
      if (sameName && sameName.type !== r.type) {
        replacedByType.add(sameName.urn);
        changes.push({ op: "replace", urn: r.urn, type: r.type, name: r.name, replacedUrn: sameName.urn, fields: [] });
      } else {
        changes.push({ op: "create", urn: r.urn, type: r.type, name: r.name, fields: [] });
      }
      continue;
    }
    const forceNew = forceNewPaths(r.type, r.inputs);
    const fields = fieldChanges(prev.inputs, r.inputs).map((f) => ({ ...f, replaces: replaces(f.path, forceNew) }));
    if (prev.protect !== r.protect) fields.push({ path: "[protect]", kind: "update", before: prev.protect, after: r.protect, replaces: false });
    if (fields.length === 0) unchanged++;
    else {
      const op = fields.some((f) => f.replaces) ? "replace" : "update";
      changes.push({ op, urn: r.urn, type: r.type, name: r.name, ...(aliased ? { aliasedUrn: aliased.urn } : {}), fields });
    }
  }
  for (const r of gone) {
    if (!replacedByType.has(r.urn)) changes.push({ op: "delete", urn: r.urn, type: r.type, name: r.name, fields: [] });
  }

  const oldViolations = new Set(before.violations.map(violationKey));
  const newViolations = new Set(after.violations.map(violationKey));
  return {
    resources: changes,
    unchanged,
    newViolations: after.violations.filter((v) => !oldViolations.has(violationKey(v))),
    resolvedViolations: before.violations.filter((v) => !newViolations.has(violationKey(v))),
  };
}

const SYMBOL: Record<ResourceChange["op"], string> = { create: "+ ", delete: "- ", update: "~ ", replace: "+-" };

/** A value as the diff prints it: JSON, secrets as [secret] (resources.json never holds a secret's value). */
function shown(v: unknown): string {
  if (v === SECRET) return SECRET;
  const text = JSON.stringify(v) ?? "undefined";
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function fieldLine(f: FieldChange): string {
  const tail = f.replaces ? " (forces replacement)" : "";
  switch (f.kind) {
    case "add":
      return `+ ${f.path}: ${shown(f.after)}${tail}`;
    case "delete":
      return `- ${f.path}: ${shown(f.before)}${tail}`;
    default:
      return `~ ${f.path}: ${shown(f.before)} => ${shown(f.after)}${tail}`;
  }
}

/** The diff as `pulumi preview --diff` lays it out, then the policy violations that appeared or went away. */
export function diffLines(diff: PlanDiff): string[] {
  const lines: string[] = [];
  for (const c of diff.resources) {
    lines.push(`  ${SYMBOL[c.op]} ${c.type}: (${c.op})`, `        [urn=${c.urn}]`);
    if (c.replacedUrn) lines.push(`        [replaces urn=${c.replacedUrn}] (the type changed)`);
    if (c.aliasedUrn) lines.push(`        [aliases urn=${c.aliasedUrn}]`);
    for (const f of c.fields) lines.push(`      ${fieldLine(f)}`);
  }
  const count = (op: ResourceChange["op"]) => diff.resources.filter((c) => c.op === op).length;
  const parts = [
    [count("create"), "to create"],
    [count("update"), "to update"],
    [count("replace"), "to replace"],
    [count("delete"), "to delete"],
  ].filter(([n]) => n !== 0);
  lines.push(`  Resources: ${[...parts.map(([n, what]) => `${n} ${what}`), `${diff.unchanged} unchanged`].join(", ")}`);

  const violation = (sign: string, v: PlannedViolation) => [
    `  ${sign} [${v.enforcementLevel}] ${v.policy}: ${v.urn}`,
    ...v.message.split("\n").map((l) => `        ${l}`),
  ];
  if (diff.newViolations.length === 0 && diff.resolvedViolations.length === 0) {
    lines.push("  Policy violations: no new or resolved violations");
  } else {
    lines.push(`  Policy violations: ${diff.newViolations.length} new, ${diff.resolvedViolations.length} resolved`);
    for (const v of diff.newViolations) lines.push(...violation("+ ", v));
    for (const v of diff.resolvedViolations) lines.push(...violation("- ", v));
  }
  return lines;
}
