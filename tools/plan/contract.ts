// The offline plan's file formats. They are a contract read by outside checks: change them only additively.
//   resources.json  [{urn, type, name, parent, dependsOn, protect, aliases, inputs, importId?, simulated?}], secrets as "[secret]"
//   manifests.yaml  every Kubernetes object the program declares directly, one YAML document each
//   mesh.mmd        a Mermaid flowchart of the service graph and its public routes (components/mesh/diagram.ts)
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import type { RecordedResource } from "./monitor";

export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  protect: boolean;
  /**
   * The old URNs this resource answers to: its aliases (URNs or specs) resolved as the engine resolves them, a child
   * also under each old URN of its parent; `[]` when it has none. The engine looks a resource up in the state by its
   * own URN first, then by these in order, so a resource found here is updated in place, not replaced.
   */
  aliases: string[];
  inputs: Record<string, unknown>;
  /** Only for resources adopted with Pulumi import: the id they are imported from. */
  importId?: string;
  /**
   * Only where some input holds a value the simulated world made up (subscription id, principal ids, addresses): the
   * paths of those input fields, as `--diff` prints paths. A real run reads these values from Azure.
   */
  simulated?: string[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The path of field `key` under `parent`: `spec.values`, `metadata.labels["app.kubernetes.io/name"]`. */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return IDENTIFIER.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
}

const SIG = pulumi.runtime.specialSigKey;

/**
 * Turns serialized property values into plain JSON: secrets become "[secret]" (never their value), unknowns
 * "[unknown]", resource references their URN, assets their path or text.
 */
export function plainValue(value: unknown): unknown {
  if (value === pulumi.runtime.unknownValue) return UNKNOWN;
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG]) {
    case pulumi.runtime.specialSecretSig:
      return SECRET;
    case pulumi.runtime.specialResourceSig:
      return obj.urn;
    case pulumi.runtime.specialAssetSig:
    case pulumi.runtime.specialArchiveSig:
      return obj.path ?? obj.uri ?? (typeof obj.text === "string" ? "[text asset]" : "[archive]");
    default:
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plainValue(v)]));
  }
}

/** Paths of the string fields of `value` that contain any of `texts`. */
export function pathsContaining(value: unknown, texts: string[], path = ""): string[] {
  if (typeof value === "string") return texts.some((t) => value.includes(t)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => pathsContaining(v, texts, fieldPath(path, i)));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => pathsContaining(v, texts, fieldPath(path, k)));
  }
  return [];
}

/**
 * The contract's view of the recorded resources. `simulatedTexts`: the values the simulated world made up; the fields
 * holding one are listed under `simulated`.
 */
export function plannedResources(recorded: RecordedResource[], simulatedTexts: string[] = []): PlannedResource[] {
  return recorded.map((r) => {
    const inputs = plainValue(r.inputs) as Record<string, unknown>;
    const simulated = simulatedTexts.length > 0 ? pathsContaining(inputs, simulatedTexts) : [];
    return {
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent,
      dependsOn: r.dependsOn,
      protect: r.protect,
      aliases: r.aliases,
      inputs,
      ...(r.importId ? { importId: r.importId } : {}),
      ...(simulated.length > 0 ? { simulated } : {}),
    };
  });
}

/** Kubernetes objects the program declares directly: not providers, not Helm releases (their objects come from charts). */
export function isKubernetesObject(type: string): boolean {
  return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/") && !type.startsWith("kubernetes:yaml");
}

const KEY_ORDER = ["apiVersion", "kind", "metadata"];

/** The objects as they would be sent to the API server (apiVersion, kind, metadata first). */
export function kubernetesManifests(resources: PlannedResource[]): Record<string, unknown>[] {
  return resources
    .filter((r) => isKubernetesObject(r.type))
    .map((r) => {
      const ordered: Record<string, unknown> = {};
      for (const k of KEY_ORDER) if (k in r.inputs) ordered[k] = r.inputs[k];
      for (const [k, v] of Object.entries(r.inputs)) if (!KEY_ORDER.includes(k)) ordered[k] = v;
      return ordered;
    });
}

export function manifestsYaml(manifests: Record<string, unknown>[]): string {
  return manifests.map((m) => YAML.stringify(m, { lineWidth: 0 })).join("---\n");
}
