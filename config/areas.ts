// The registry of config areas: one line per area. It assembles the root schema (whose keys are the known
// `aks-mesh:` keys), the secret keys and the order in which cross-checks run; `MeshConfig` is inferred from it.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { CheckContext, MeshConfigContributions, ResolveContext, SecretKey } from "./area";
import { clusterArea } from "./cluster";
import { environmentArea } from "./environment";
import { ingressArea } from "./ingress";
import { istioArea } from "./istio";
import { meshArea } from "./mesh";
import { observabilityArea } from "./observability";
import { securityArea } from "./security";
import { trafficArea } from "./traffic";

/** Every area, in the order they apply (the README's configuration reference lists their keys in this order). */
export const AREAS = [
  environmentArea,
  clusterArea,
  istioArea,
  ingressArea,
  meshArea,
  trafficArea,
  securityArea,
  observabilityArea,
] as const;

type Area = (typeof AREAS)[number];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type RootShape = UnionToIntersection<Area["keys"]>;

/** Every top-level key of the namespace; anything else in a stack file is a typo. */
export const rootSchema = z.strictObject(
  Object.fromEntries(AREAS.flatMap((a) => Object.entries(a.keys))) as RootShape, // every area's keys, merged
);
export type Root = z.infer<typeof rootSchema>;

/** The secret keys of every area (`aks-mesh:<key>`), each a Pulumi secret string. */
export const SECRET_CONFIG_KEYS: Readonly<Record<string, SecretKey>> = Object.fromEntries(
  AREAS.flatMap((a) => Object.entries(a.secrets ?? {})),
);

/** Every key a stack file may set: the root schema's keys, then the secret keys. */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(rootSchema.shape), ...Object.keys(SECRET_CONFIG_KEYS)];

/** The validated configuration, with every default and derived value filled in: each area's part. */
export type MeshConfig = {
  readonly project: string;
  readonly stack: string;
} & UnionToIntersection<ReturnType<Area["resolve"]>>;

/**
 * Format problems of the secrets a stack sets (never showing a value), then the secrets the parsed config needs but
 * the stack does not set. `root` is undefined when the schema refused the config.
 */
export function secretProblems(
  root: Root | undefined,
  raw: Readonly<Record<string, string>>,
  key: (name: string) => string,
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const why = SECRET_CONFIG_KEYS[name]?.check(value);
    if (why) problems.push(`${key(name)}: ${why} (value not shown: it is a secret)`);
  }
  if (!root) return problems;
  for (const area of AREAS) {
    for (const [name, problem] of Object.entries(area.requiredSecrets?.(root) ?? {})) {
      if (raw[name] === undefined) problems.push(`${key(name)}: ${problem}`);
    }
  }
  return problems;
}

/**
 * The secret keys a stack's raw config values (`aks-mesh:` keys without the prefix, as its file holds them) make
 * required; none when the values do not parse (the config's own validation then reports why). The offline plan
 * stands in each one's example when the stack file does not set it, as the CLI would have it set by then.
 */
export function requiredSecretKeys(values: Record<string, unknown>): string[] {
  const parsed = rootSchema.safeParse(structuredClone(values));
  if (!parsed.success) return [];
  return AREAS.flatMap((area) => Object.keys(area.requiredSecrets?.(parsed.data) ?? {}));
}

/** Every area's retired forms in `values` (the raw config), each problem saying what to write instead. */
export function retiredForms(values: Record<string, unknown>, key: (path: string) => string): string[] {
  return AREAS.flatMap((area) => area.refuseRetired?.(values, key) ?? []);
}

/** Every area's cross-checks, in registry order. */
export function crossChecks(root: Root, ctx: CheckContext): string[] {
  return AREAS.flatMap((area) => area.crossChecks?.(root, ctx) ?? []);
}

/** The validated config of a root that passed every check; secrets become secret Outputs here and only here. */
export function resolveAreas(
  root: Root,
  raw: Readonly<Record<string, string>>,
  ctx: Omit<ResolveContext, "secrets" | "meshConfig">,
): MeshConfig {
  const secrets = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, pulumi.secret(value)]));
  const meshConfig = meshConfigContributions(root);
  const parts = AREAS.map((area) => area.resolve(root, { ...ctx, secrets, meshConfig }));
  return Object.assign({ project: ctx.project, stack: ctx.stack }, ...parts) as MeshConfig;
}

/** Every area's meshConfig contribution, in registry order. */
function meshConfigContributions(root: Root): MeshConfigContributions {
  const parts = AREAS.map((area) => area.meshConfig?.(root) ?? {});
  return {
    extensionProviders: parts.flatMap((p) => p.extensionProviders ?? []),
    istiodEnv: Object.assign({}, ...parts.map((p) => p.istiodEnv ?? {})) as Record<string, string>,
  };
}
