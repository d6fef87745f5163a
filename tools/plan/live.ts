// The live inventory: the cluster's own Istio objects, exported by the adoption runbook with
//   kubectl get <the kinds in LIVE_EXPORT_KINDS> -A -o yaml > live.yaml
// read as objects the stack does not own. The plan passes them to the pack's live-aware policies (policy/live.ts) and
// writes DIR/live.json: every live object with what the stack does to it and the step it needs.
//   live.json  {"source", "objects": [{apiVersion, kind, namespace, name, relation, step, stack: [{urn, kind,
//              namespace, name, reason}], note}], "ownedByStack": ["Kind namespace/name", ...]}
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { isObject, type Json, type JsonObject, kubeObjects, meshRootNamespace } from "../../policy/lib";
import {
  inventory,
  liveKubeObject,
  type LiveEntry,
  objectLabel,
  ownedByStack,
  policyResource,
} from "../../policy/live";
import type { PlannedResource } from "./contract";

/** The resource types the runbook exports; Namespaces so a namespace the stack would create is found to exist. */
export const LIVE_EXPORT_KINDS = [
  "gateways.networking.istio.io",
  "virtualservices.networking.istio.io",
  "destinationrules.networking.istio.io",
  "serviceentries.networking.istio.io",
  "sidecars.networking.istio.io",
  "envoyfilters.networking.istio.io",
  "peerauthentications.security.istio.io",
  "authorizationpolicies.security.istio.io",
  "requestauthentications.security.istio.io",
  "telemetries.telemetry.istio.io",
  "namespaces",
] as const;

/** The export is unusable: the message names the file and the item. */
export class LiveExportError extends Error {}

/** Annotations that hold a copy of the object or server bookkeeping, not configuration. */
const DROPPED_ANNOTATIONS = ["kubectl.kubernetes.io/last-applied-configuration"];

/** What the inventory keeps of an exported object: identity, labels, annotations, creation time and spec. */
function trimmed(item: JsonObject): JsonObject {
  const meta = item.metadata as JsonObject;
  const metadata: JsonObject = { name: meta.name as string };
  if (typeof meta.namespace === "string") metadata.namespace = meta.namespace;
  if (isObject(meta.labels)) metadata.labels = meta.labels;
  if (isObject(meta.annotations)) {
    const kept = Object.entries(meta.annotations).filter(([k]) => !DROPPED_ANNOTATIONS.includes(k));
    if (kept.length > 0) metadata.annotations = Object.fromEntries(kept);
  }
  if (typeof meta.creationTimestamp === "string") metadata.creationTimestamp = meta.creationTimestamp;
  const out: JsonObject = { apiVersion: item.apiVersion as string, kind: item.kind as string, metadata };
  if (item.spec !== undefined && item.spec !== null) out.spec = item.spec;
  return out;
}

/** One item's problem, or undefined when it is an Istio object or a Namespace with a name (and namespace). */
function itemProblem(item: Json): string | undefined {
  if (!isObject(item)) return "is not an object";
  const { apiVersion, kind, metadata } = item;
  if (typeof apiVersion !== "string" || apiVersion === "") return "has no apiVersion";
  if (typeof kind !== "string" || kind === "") return "has no kind";
  if (!isObject(metadata) || typeof metadata.name !== "string" || metadata.name === "") return "has no metadata.name";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
  const istio = group === "istio.io" || group.endsWith(".istio.io");
  if (!istio && !(group === "" && kind === "Namespace")) {
    return `is a ${apiVersion} ${kind}: the inventory reads Istio objects and Namespaces only`;
  }
  if (istio && (typeof metadata.namespace !== "string" || metadata.namespace === "")) return "has no metadata.namespace";
  if (item.spec !== undefined && item.spec !== null && !isObject(item.spec)) return "has a spec that is not an object";
  return undefined;
}

/**
 * Reads `kubectl get ... -o yaml` output: a `kind: List` whose items are Istio objects or Namespaces. Throws
 * LiveExportError naming the file and every bad item.
 */
export function readLiveExport(file: string): JsonObject[] {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new LiveExportError(`${shown}: cannot read the live export (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    const docs = YAML.parseAllDocuments(text);
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) throw new Error(bad.errors[0]?.message ?? "invalid YAML");
    if (docs.length !== 1) throw new Error(`${docs.length} YAML documents; kubectl get -o yaml writes one`);
    doc = (docs[0] as YAML.Document).toJS();
  } catch (e) {
    throw new LiveExportError(`${shown}: not a live export: ${(e as Error).message.split("\n")[0]}`);
  }
  const expected = `expected the output of \`kubectl get ${LIVE_EXPORT_KINDS.join(",")} -A -o yaml\``;
  if (!isObject(doc as Json) || (doc as JsonObject).kind !== "List" || !Array.isArray((doc as JsonObject).items)) {
    throw new LiveExportError(`${shown}: not a live export: no \`kind: List\` with \`items\` (${expected})`);
  }
  const items = (doc as JsonObject).items as Json[];
  const problems: string[] = [];
  items.forEach((item, i) => {
    const problem = itemProblem(item);
    if (!problem) return;
    const meta = isObject(item) && isObject(item.metadata) ? item.metadata : {};
    const id = [meta.namespace, meta.name].filter((x) => typeof x === "string").join("/");
    problems.push(`${shown}: items[${i}]${id ? ` (${id})` : ""} ${problem}`);
  });
  if (problems.length > 0) throw new LiveExportError(problems.join("\n"));
  return items.map((item) => trimmed(item as JsonObject));
}

export interface LiveInventory {
  entries: LiveEntry[];
  /** Exported objects that carry this program's labels: the stack's own, not inventoried. */
  owned: string[];
}

/** What the planned stack does to each live object (the same reading as the pack's no-clash policy). */
export function liveInventory(resources: PlannedResource[], objects: JsonObject[]): LiveInventory {
  const rs = resources.map((r) => policyResource({ ...r, props: r.inputs }));
  const live = objects.map((o) => liveKubeObject(o)).filter((o) => o !== undefined);
  return {
    entries: inventory(kubeObjects(rs), live.filter((o) => !ownedByStack(o)), meshRootNamespace(rs)),
    owned: live.filter(ownedByStack).map(objectLabel),
  };
}

export function liveJson(inv: LiveInventory, source: string): string {
  const objects = inv.entries.map((e) => ({
    apiVersion: `${e.object.group ? `${e.object.group}/` : ""}${e.object.version}`,
    kind: e.object.kind,
    namespace: e.object.namespace,
    name: e.object.name,
    relation: e.relation,
    step: e.step,
    stack: e.stack.map((s) => ({
      urn: s.object.urn,
      kind: s.object.kind,
      namespace: s.object.namespace,
      name: s.object.name,
      reason: s.reason,
    })),
    note: e.note,
  }));
  return `${JSON.stringify({ source, objects, ownedByStack: inv.owned }, null, 2)}\n`;
}

const STEP_ORDER = ["import", "delete after cutover", "keep"];

/** The summary's section: counts by step, then each live object with its step and the stack objects involved. */
export function liveLines(inv: LiveInventory, source: string): string[] {
  const count = (step: string) => inv.entries.filter((e) => e.step === step).length;
  const lines = [
    `Live objects (${source}): ${inv.entries.length} not owned by the stack: ${STEP_ORDER.map((s) => `${count(s)} ${s}`).join(", ")}` +
      (inv.owned.length > 0 ? `; ${inv.owned.length} the stack's own, skipped` : ""),
  ];
  const sorted = [...inv.entries].sort(
    (a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step) || objectLabel(a.object).localeCompare(objectLabel(b.object)),
  );
  for (const e of sorted) {
    const what = e.relation === "conflict" ? "conflicts with" : e.relation === "duplicate" ? "duplicated by" : "left alone";
    const by = e.stack.map((s) => objectLabel(s.object)).join(", ");
    lines.push(`  [${e.step}] ${objectLabel(e.object)}: ${what}${by ? ` ${by}` : ""}`);
    for (const s of e.stack) lines.push(`      ${objectLabel(s.object)} ${s.reason}`);
    if (e.relation !== "none") lines.push(`      ${e.note}`);
  }
  return lines;
}
