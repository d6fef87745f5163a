// The one place stack configuration is read. `loadConfig()` validates every `aks-mesh:` key of the stack before any
// resource exists, and either returns one typed object or stops the program with a message that names the stack file,
// each wrong key and what was expected (all problems at once, no stack trace).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isoDate } from "../policy/compatibility";
import { createdClusterProblems } from "./compatibility";
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS } from "../policy/contract";
import { guardrailChecks, revisionOf } from "./guardrails";
import { closest } from "./suggest";
import {
  clusterSection,
  ingressGatewaySection,
  ingressSection,
  istioSection,
  meshNamespacesSection,
  outsideMeshNamespacesSection,
  parsePublicIpId,
  staticIpSection,
} from "./sections";
import {
  type ObservabilityConfig,
  observabilityCrossChecks,
  observabilitySection,
  resolveObservabilitySecrets,
  SECRET_CONFIG_KEYS,
} from "./observability";

export { quantityValue, durationMs } from "./primitives";
export type { Resources } from "./primitives";
export type { HostEntry } from "./sections";
export type { ObservabilityConfig, ObservabilitySecrets } from "./observability";
export { KIALI_GRAFANA_LOGIN, SECRET_CONFIG_KEYS } from "./observability";

/** Config namespace: the project name, as Pulumi prefixes project keys with it. */
export const CONFIG_NAMESPACE = "aks-mesh";

/** Every top-level key of the namespace; anything else in a stack file is a typo. */
export const rootSchema = z.strictObject({
  environment: z
    .enum(ENVIRONMENTS)
    .default(DEFAULT_ENVIRONMENT)
    .describe(
      'What the stack runs: "production" (the default) or "development". It picks the policy levels ' +
        "(policy/<environment>.json) and, in production, refuses what a live mesh must not get: an unpinned " +
        "istio.revision, a single gateway replica or no PodDisruptionBudget, a host without TLS, Grafana's anonymous viewer.",
    ),
  cluster: clusterSection,
  staticIp: staticIpSection.prefault({}),
  istio: istioSection.prefault({}),
  ingressGateway: ingressGatewaySection.prefault({}),
  ingress: ingressSection.prefault({}),
  meshNamespaces: meshNamespacesSection.default([]),
  outsideMeshNamespaces: outsideMeshNamespacesSection.default([]),
  observability: observabilitySection.optional(),
});
type Root = z.infer<typeof rootSchema>;

/** Keys whose value is a plain string in the stack file; all others hold YAML objects or lists. */
const STRING_KEYS = new Set<string>(["environment"]);

/** Secret string keys (config/observability.ts): validated apart, so no message can ever print their value. */
const SECRET_KEYS: readonly string[] = Object.keys(SECRET_CONFIG_KEYS);

export const CONFIG_KEYS: readonly string[] = [...Object.keys(rootSchema.shape), ...SECRET_KEYS];

/** The validated configuration, with every default and derived value filled in. */
export interface MeshConfig {
  readonly project: string;
  readonly stack: string;
  /** production or development (config environment): the policy levels and the production guardrails. */
  readonly environment: Root["environment"];
  readonly cluster: Root["cluster"];
  readonly staticIp: Root["staticIp"] & {
    /** Name of the IP (configured, derived from the adopted id, or the default). */
    readonly name: string;
    /** Whether the cluster identity gets Network Contributor on the IP's resource group. */
    readonly grantNetworkContributor: boolean;
    /** The adopted IP's resource group and name, when adopting. */
    readonly adopt?: { readonly resourceId: string; readonly resourceGroup: string; readonly name: string };
  };
  readonly istio: Root["istio"] & { readonly revision: string };
  readonly ingressGateway: Root["ingressGateway"];
  readonly ingress: Root["ingress"];
  readonly meshNamespaces: Root["meshNamespaces"];
  readonly outsideMeshNamespaces: Root["outsideMeshNamespaces"];
  /** The observability layer with its secrets; undefined when the section is absent or enabled: false. */
  readonly observability?: ObservabilityConfig;
}

/** Raised for invalid configuration; a RunError, so Pulumi prints the message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(
    /** The stack whose configuration is invalid. */
    readonly stackName: string,
    /** One line per problem, each naming its key. */
    readonly problems: readonly string[],
    /** The stack file, as the person running the program named it (default Pulumi.<stack>.yaml). */
    readonly file = `Pulumi.${stackName}.yaml`,
  ) {
    super(
      [
        `Invalid configuration in ${file} (stack "${stackName}"):`,
        ...problems.map((p) => `  - ${p}`),
        "Nothing was deployed. Correct these keys (pulumi config set ...) and run again.",
      ].join("\n"),
    );
    this.name = "ConfigError";
  }

  /** The same problems, naming another stack file (the offline plan's --config FILE). */
  inFile(file: string): ConfigError {
    return new ConfigError(this.stackName, this.problems, file);
  }
}

/**
 * Validates raw config as Pulumi hands it to the program (`aks-mesh:<key>` -> string; objects as JSON text).
 * Pure: the tests and the offline plan call it directly.
 */
export function parseConfig(
  raw: Readonly<Record<string, string>>,
  ctx: {
    project: string;
    stack: string;
    /** The day AKS must offer a created cluster's Kubernetes version ("YYYY-MM-DD"); default: today (UTC). */
    today?: string;
  },
): MeshConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, text] of Object.entries(raw)) {
    if (!fullKey.startsWith(prefix)) {
      // Provider keys such as azure-native:location are not ours; a namespace one typo away from ours is a key of
      // this program that would otherwise be ignored, with its whole section.
      const namespace = fullKey.slice(0, Math.max(0, fullKey.indexOf(":")));
      if (namespace && closest(namespace, [CONFIG_NAMESPACE])) {
        problems.push(
          `${fullKey}: unknown namespace "${namespace}"; did you mean ${prefix}${fullKey.slice(namespace.length + 1)}? ` +
            `(this program reads only ${prefix} keys, so the value would be ignored)`,
        );
      }
      continue;
    }
    const key = fullKey.slice(prefix.length);
    if (!CONFIG_KEYS.includes(key)) {
      const hint = closest(key, CONFIG_KEYS);
      problems.push(
        `${fullKey}: unknown key${hint ? `; did you mean ${prefix}${hint}?` : ""} (known keys: ${CONFIG_KEYS.join(", ")})`,
      );
      continue;
    }
    if (SECRET_KEYS.includes(key)) {
      secrets[key] = text;
      continue;
    }
    if (STRING_KEYS.has(key)) {
      values[key] = text;
      continue;
    }
    try {
      values[key] = JSON.parse(text);
    } catch {
      problems.push(`${fullKey}: expected a YAML object or list, got the text ${JSON.stringify(text)}`);
    }
  }

  const parsed = rootSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys" && issue.path.length === 0) continue; // reported above with hints
      problems.push(describeIssue(issue, values));
    }
  }
  const resolved = resolveObservabilitySecrets(parsed.data?.observability, secrets, (k) => `${prefix}${k}`);
  problems.push(...resolved.problems);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(ctx.stack, problems);

  const root = parsed.data;
  const cross = [
    ...crossChecks(root, ctx.today ?? isoDate(new Date())),
    ...guardrailChecks(root, (path) => `${prefix}${path}`),
  ];
  if (cross.length > 0) throw new ConfigError(ctx.stack, cross);

  const adopted = root.staticIp.adoptResourceId ? parsePublicIpId(root.staticIp.adoptResourceId) : undefined;
  return {
    project: ctx.project,
    stack: ctx.stack,
    environment: root.environment,
    cluster: root.cluster,
    staticIp: {
      ...root.staticIp,
      name: adopted?.name ?? root.staticIp.name ?? `pip-${ctx.project}-${ctx.stack}-ingress`,
      resourceGroup: adopted?.resourceGroup ?? root.staticIp.resourceGroup,
      // An adopted IP's load balancer already holds the grant: creating a second one fails with RoleAssignmentExists.
      grantNetworkContributor:
        root.staticIp.grantNetworkContributor ??
        (root.staticIp.adoptRoleAssignment !== undefined ||
          (adopted === undefined && root.staticIp.resourceGroup !== undefined)),
      ...(adopted && root.staticIp.adoptResourceId
        ? { adopt: { resourceId: root.staticIp.adoptResourceId, ...adopted } }
        : {}),
    },
    istio: { ...root.istio, revision: root.istio.revision ?? revisionOf(root.istio.version) },
    ingressGateway: root.ingressGateway,
    ingress: root.ingress,
    meshNamespaces: root.meshNamespaces,
    outsideMeshNamespaces: root.outsideMeshNamespaces,
    ...(root.observability?.enabled && resolved.secrets
      ? { observability: { ...root.observability, secrets: resolved.secrets } }
      : {}),
  };
}

/** Reads and validates the running stack's configuration. Call once, from index.ts, before any resource. */
export function loadConfig(): MeshConfig {
  return parseConfig(pulumi.runtime.allConfig(), { project: pulumi.getProject(), stack: pulumi.getStack() });
}

/** Rules that span sections. Each message names the key to change. */
function crossChecks(root: Root, today: string): string[] {
  const problems: string[] = [];
  const k = (path: string) => `${CONFIG_NAMESPACE}:${path}`;
  if (root.cluster.mode === "create" && root.cluster.create) {
    problems.push(...createdClusterProblems(root.cluster.create, root.istio.version, today, k));
  }
  const zone = root.staticIp.dns?.zoneName;
  if (zone) {
    root.ingress.hosts.forEach((h, i) => {
      if (h.host !== zone && !h.host.endsWith(`.${zone}`)) {
        problems.push(
          `${k(`ingress.hosts[${i}].host`)}: "${h.host}" is not in the DNS zone "${zone}" (${k("staticIp.dns.zoneName")}); ` +
            "remove staticIp.dns or serve only hosts of that zone",
        );
      }
    });
  }
  problems.push(...certificateChecks(root, k));
  root.meshNamespaces.forEach((ns, i) => {
    if (ns.name === root.ingressGateway.namespace) {
      problems.push(
        `${k(`meshNamespaces[${i}].name`)}: "${ns.name}" is the ingress gateway namespace (${k("ingressGateway.namespace")}); ` +
          "the gateway is injected by its own template and must not be listed",
      );
    }
  });
  problems.push(
    ...observabilityCrossChecks(
      root.observability,
      {
        appHosts: root.ingress.hosts.map((h) => h.host),
        meshNamespaces: root.meshNamespaces.map((n) => n.name),
        gatewayNamespace: root.ingressGateway.namespace,
        dnsZone: zone,
      },
      k,
    ),
  );
  return problems;
}

/**
 * Every certificate a host serves must already be in the gateway's namespace: Istio resolves a Gateway's
 * credentialName in the namespace of the gateway workload (istio.io analyzer IST0161 InvalidGatewayCredential; 1.23
 * docs/ops/integrations/certmanager: the Certificate goes "in the same namespace as the istio-ingressgateway
 * deployment"), so HTTPS would fail on the first request otherwise. The program never
 * copies a certificate itself (the private key would land in the state and miss every renewal): the stack file states
 * where each Secret is, and this refuses a gateway namespace that lacks one.
 */
function certificateChecks(root: Root, k: (path: string) => string): string[] {
  const gatewayNs = root.ingressGateway.namespace;
  const uses: [string, string][] = root.ingress.hosts.flatMap((h, i): [string, string][] =>
    h.tls ? [[`ingress.hosts[${i}].tls.credentialName`, h.tls.credentialName]] : [],
  );
  const monitoringTls = root.observability?.enabled ? root.observability.tls : undefined;
  if (monitoringTls) uses.push(["observability.tls.credentialName", monitoringTls.credentialName]);
  return uses.flatMap(([key, secret]) => {
    const present = root.ingress.tlsSecrets[secret] ?? [];
    if (present.includes(gatewayNs)) return [];
    return [
      `${k(key)}: the gateway runs in namespace "${gatewayNs}" (${k("ingressGateway.namespace")}) and reads TLS ` +
        `Secret "${secret}" there, but ${k(`ingress.tlsSecrets.${secret}`)} ` +
        (present.length > 0 ? `lists only ${present.map((n) => `"${n}"`).join(", ")}` : "does not list it anywhere") +
        `. Put the certificate in "${gatewayNs}" first (README, adopting production: certificates) and add ` +
        `"${gatewayNs}" to that list, or run the gateway where the Secret is.`,
    ];
  });
}

/** One line per zod issue: the full config key path, then what is wrong in the user's terms. */
function describeIssue(issue: z.core.$ZodIssue, values: Record<string, unknown>): string {
  const path = formatPath(issue.path);
  const got = valueAt(values, issue.path);
  const shown = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
  switch (issue.code) {
    case "invalid_type":
      if (got === undefined) return `${path}: is required (expected ${article(issue.expected)})`;
      return `${path}: expected ${article(issue.expected)}${shown}`;
    case "invalid_value":
      return `${path}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${shown}`;
    case "unrecognized_keys": {
      const parent = valueAt(values, issue.path);
      const known = knownKeysAt(issue.path, parent);
      return issue.keys
        .map((key) => {
          const hint = closest(key, known);
          return `${formatPath([...issue.path, key])}: unknown key${hint ? `; did you mean "${hint}"?` : ""}`;
        })
        .join("\n  - ");
    }
    case "too_small":
    case "too_big":
    case "invalid_format":
    case "custom":
    default:
      return `${path}: ${humanize(issue.message)}${issue.code === "custom" ? "" : shown}`;
  }
}

function humanize(message: string): string {
  // zod's own wording for numeric bounds is fine ("Too small: expected number to be >=1"); lower-case it to read inline.
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: "an object",
    array: "a list",
    int: "a whole number",
    number: "a number",
    string: "a string",
    boolean: "true or false",
  };
  return names[type] ?? type;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = CONFIG_NAMESPACE;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
  });
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The keys the schema accepts at a path, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[], _value: unknown): string[] {
  let schema: z.core.$ZodType = rootSchema;
  for (const p of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const next = (schema.shape as Record<string, z.core.$ZodType>)[String(p)];
      if (!next) return [];
      schema = next;
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element;
    } else {
      return [];
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType) s = def.innerType;
    else if (def.in) s = def.in;
    else break;
  }
  return s;
}
