// What a `pulumi up` does with a resource registered with the `import` option, for the Azure types this program
// adopts, as pulumi-azure-native 3.28.0 and the engine do it:
//   1. Read: the provider GETs the resource and, with no previous state, builds the imported *inputs* from the whole
//      response: path parameters parsed from the id, then every writable body property (the `properties` envelope
//      flattened), `id` dropped, empty arrays and maps dropped (provider/pkg/provider/provider.go Read,
//      provider/pkg/convert/responseToSdkInputs.go);
//   2. the engine copies the imported values into the program's inputs for every ignoreChanges path (or removes the
//      path when the imported inputs have none);
//   3. Diff compares imported inputs with the program's: a property only the response has is a *delete*, one only the
//      program has an *add*, nested objects compare key by key, arrays element by element; `location` ignores case
//      and spaces, `resourceGroupName` case; path parameters force a replacement (provider/pkg/provider/diff.go).
// Since pulumi/pulumi#19339 (v3.170) a non-empty diff no longer stops the import: the same `pulumi up` imports and
// then updates the live resource to the program's inputs, or tries to replace it (refused when it is protected).
// So an adopted resource must be registered with inputs that reproduce its GET response exactly.

/** How azure-native maps one resource type's REST shape to SDK inputs (from its metadata for the pinned version). */
interface AzureTypeSpec {
  /** The Azure REST API version azure-native 3.28.0 uses for the type. */
  apiVersion: string;
  /** The resource path; `{name}` segments are path parameters (SDK input names). */
  path: string;
  /** Writable properties at the top of the body. */
  topLevel: readonly string[];
  /** Writable properties inside the `properties` envelope (x-ms-client-flatten). */
  flattened: readonly string[];
}

/** The adopted types. Read-only properties (etag, name, type, provisioningState, ...) are simply not listed. */
export const AZURE_IMPORT_SPECS: Readonly<Record<string, AzureTypeSpec>> = {
  // Microsoft.Network/publicIPAddresses, network 2024-05-01 (publicIPAddress.d.ts: "Uses Azure REST API version
  // 2024-05-01"); ipConfiguration, provisioningState and resourceGuid are read-only.
  "azure-native:network:PublicIPAddress": {
    apiVersion: "2024-05-01",
    path: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
    topLevel: ["location", "tags", "zones", "sku", "extendedLocation"],
    flattened: [
      "publicIPAllocationMethod",
      "publicIPAddressVersion",
      "dnsSettings",
      "ddosSettings",
      "ipTags",
      "ipAddress",
      "publicIPPrefix",
      "idleTimeoutInMinutes",
      "servicePublicIPAddress",
      "natGateway",
      "migrationPhase",
      "linkedPublicIPAddress",
      "deleteOption",
    ],
  },
  // Microsoft.Authorization/roleAssignments, authorization 2022-04-01 (roleAssignment.d.ts); scope, createdOn,
  // updatedOn, createdBy and updatedBy are read-only. Since azure-native 3.27 (pulumi-azure-native#4818) the `scope`
  // path parameter keeps its leading "/" on import.
  "azure-native:authorization:RoleAssignment": {
    apiVersion: "2022-04-01",
    path: "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
    topLevel: [],
    flattened: [
      "roleDefinitionId",
      "principalId",
      "principalType",
      "description",
      "condition",
      "conditionVersion",
      "delegatedManagedIdentityResourceId",
    ],
  },
};

/** The Azure GET URL of an imported resource, as `az rest --method get --url` takes it. */
export function azureGetUrl(type: string, id: string): string | undefined {
  const spec = AZURE_IMPORT_SPECS[type];
  return spec ? `https://management.azure.com${id}?api-version=${spec.apiVersion}` : undefined;
}

/** Path parameters of an id, matched case-insensitively against the path template (resources.ParseResourceID). */
export function pathParameters(path: string, id: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = path
    .split("/")
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1] as string);
      return "(.*?)";
    })
    .join("/");
  const match = new RegExp(`^${pattern}$`, "i").exec(id);
  if (!match) return undefined;
  const values: Record<string, string> = {};
  names.forEach((name, i) => {
    values[name] = match[i + 1] as string;
  });
  // A parameter that opens the path embeds a full resource id and keeps its leading "/" (pulumi-azure-native#4818).
  const first = path.split("/")[1];
  if (first && /^\{\w+\}$/.test(first)) {
    const name = first.slice(1, -1);
    values[name] = `/${values[name] ?? ""}`;
  }
  return values;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Drops empty arrays and maps, recursively (convert.removeEmptyCollections); undefined when nothing is left. */
function withoutEmptyCollections(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutEmptyCollections).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isObject(value)) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, withoutEmptyCollections(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value === null ? undefined : value;
}

/** The inputs azure-native records when it imports `id` and Azure answers the GET with `body`. */
export function importedInputs(type: string, id: string, body: Record<string, unknown>): Record<string, unknown> {
  const spec = AZURE_IMPORT_SPECS[type];
  if (!spec) throw new Error(`no import simulation for ${type}`);
  const params = pathParameters(spec.path, id);
  if (!params) throw new Error(`${id} is not a ${type} id (${spec.path})`);
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) if (name !== "subscriptionId") inputs[name] = value;
  const properties = isObject(body.properties) ? body.properties : {};
  const take = (source: Record<string, unknown>, names: readonly string[]) => {
    for (const name of names) {
      const value = withoutEmptyCollections(source[name]);
      if (value !== undefined) inputs[name] = value;
    }
  };
  take(body, spec.topLevel);
  take(properties, spec.flattened);
  return inputs;
}

/** The outputs azure-native records for a GET response: the body with its `properties` envelope flattened. */
export function responseOutputs(body: Record<string, unknown>): Record<string, unknown> {
  const { properties, ...rest } = body;
  return { ...rest, ...(isObject(properties) ? properties : {}) };
}

function getPath(obj: Record<string, unknown>, path: string[]): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isObject(cur) || !(key in cur)) return { found: false };
    cur = cur[key];
  }
  return { found: true, value: cur };
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  path.slice(0, -1).forEach((key) => {
    if (!isObject(cur[key])) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  });
  cur[path[path.length - 1] as string] = value;
}

function deletePath(obj: Record<string, unknown>, path: string[]): void {
  const parent = getPath(obj, path.slice(0, -1));
  if (parent.found && isObject(parent.value)) delete parent.value[path[path.length - 1] as string];
}

/**
 * The program's inputs after the engine applied ignoreChanges against the imported ones: each listed path takes the
 * imported value, or disappears when the import has none (pkg/resource/deploy/step_generator.go processIgnoreChanges).
 */
export function withIgnoredChanges(
  news: Record<string, unknown>,
  olds: Record<string, unknown>,
  ignoreChanges: readonly string[],
): Record<string, unknown> {
  const result = structuredClone(news);
  for (const p of ignoreChanges) {
    const path = p.split(".");
    const old = getPath(olds, path);
    if (old.found) setPath(result, path, structuredClone(old.value));
    else deletePath(result, path);
  }
  return result;
}

export type PropertyChange = "add" | "delete" | "update";

/** One difference the provider reports, as a property path ("dnsSettings.fqdn", "zones[1]"). */
export interface ImportDifference {
  path: string;
  change: PropertyChange;
  /** The property is a path parameter: the provider asks for a replacement. */
  replace: boolean;
}

const normalizedLocation = (l: string) => l.replace(/ /g, "").toLowerCase();

function sameTopLevel(key: string, old: unknown, now: unknown): boolean {
  if (key === "location" && typeof old === "string" && typeof now === "string") {
    return normalizedLocation(old) === normalizedLocation(now);
  }
  if (key === "resourceGroupName" && typeof old === "string" && typeof now === "string") {
    return old.toLowerCase() === now.toLowerCase();
  }
  return false;
}

function valueDifferences(old: unknown, now: unknown, path: string, out: ImportDifference[], replace: boolean): void {
  if (Array.isArray(old) && Array.isArray(now)) {
    for (let i = 0; i < Math.max(old.length, now.length); i++) {
      const at = `${path}[${i}]`;
      if (i >= old.length) out.push({ path: at, change: "add", replace: false });
      else if (i >= now.length) out.push({ path: at, change: "delete", replace: false });
      else valueDifferences(old[i], now[i], at, out, replace);
    }
    return;
  }
  if (isObject(old) && isObject(now)) {
    objectDifferences(old, now, `${path}.`, out, new Set(), replace);
    return;
  }
  if (JSON.stringify(old) !== JSON.stringify(now)) out.push({ path, change: "update", replace });
}

function objectDifferences(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  prefix: string,
  out: ImportDifference[],
  replaceKeys: ReadonlySet<string>,
  parentReplaces: boolean,
): void {
  const has = (o: Record<string, unknown>, k: string) => o[k] !== undefined && o[k] !== null;
  for (const key of Object.keys(olds)) {
    if (key.startsWith("__") || !has(olds, key)) continue;
    const replace = parentReplaces || replaceKeys.has(key);
    if (!has(news, key)) out.push({ path: prefix + key, change: "delete", replace });
    else if (!(prefix === "" && sameTopLevel(key, olds[key], news[key]))) {
      valueDifferences(olds[key], news[key], prefix + key, out, replace);
    }
  }
  for (const key of Object.keys(news)) {
    if (key.startsWith("__") || !has(news, key) || has(olds, key)) continue;
    out.push({ path: prefix + key, change: "add", replace: parentReplaces || replaceKeys.has(key) });
  }
}

/** The provider's diff between the imported inputs and the program's (after ignoreChanges). */
export function importDifferences(
  type: string,
  imported: Record<string, unknown>,
  program: Record<string, unknown>,
): ImportDifference[] {
  const spec = AZURE_IMPORT_SPECS[type];
  if (!spec) throw new Error(`no import simulation for ${type}`);
  const replaceKeys = new Set([...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string));
  const out: ImportDifference[] = [];
  objectDifferences(imported, program, "", out, replaceKeys, false);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** What `pulumi up` does with an imported resource: import only, or import and then change the live resource. */
export type ImportStep = "import" | "import, then update" | "import, then replace";

export function importStep(differences: readonly ImportDifference[]): ImportStep {
  if (differences.some((d) => d.replace)) return "import, then replace";
  return differences.length > 0 ? "import, then update" : "import";
}

/** The outcome of one simulated import. */
export interface ImportCheck {
  urn: string;
  type: string;
  id: string;
  step: ImportStep;
  differences: ImportDifference[];
}

/** Simulates the import of a registered resource against the GET body the simulated Azure answers with. */
export function checkImport(args: {
  urn: string;
  type: string;
  id: string;
  body: Record<string, unknown>;
  inputs: Record<string, unknown>;
  ignoreChanges: readonly string[];
}): ImportCheck {
  const imported = importedInputs(args.type, args.id, args.body);
  const program = withIgnoredChanges(args.inputs, imported, args.ignoreChanges);
  const differences = importDifferences(args.type, imported, program);
  return { urn: args.urn, type: args.type, id: args.id, step: importStep(differences), differences };
}

/** One line per imported resource for the plan's summary. */
export function importLine(c: ImportCheck): string {
  const name = c.urn.split("::").pop() ?? c.urn;
  if (c.step === "import") return `  ${name}: import only (the program's inputs equal the live resource's)`;
  const changes = c.differences.map((d) => `${d.path} (${d.change}${d.replace ? ", replace" : ""})`).join(", ");
  return `  ${name}: ${c.step}: ${changes}`;
}

/**
 * GET bodies captured with `az rest --method get` (one body, or a JSON list of them), by their `id`: the live resources
 * the plan's imports are checked against (npm run plan -- <stack> --azure FILE). Throws with a readable message.
 */
export function parseAzureCapture(text: string): Record<string, Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const bodies = Array.isArray(parsed) ? parsed : [parsed];
  const byId: Record<string, Record<string, unknown>> = {};
  bodies.forEach((body, i) => {
    if (!isObject(body) || typeof body.id !== "string" || !body.id.startsWith("/subscriptions/")) {
      throw new Error(`entry ${i} is not an Azure GET answer with an "id" (/subscriptions/...)`);
    }
    byId[body.id] = body;
  });
  return byId;
}
