// Aliases as the Pulumi engine resolves them. A resource registers with aliases given either as old URNs or as specs
// (name, type, parent URN or noParent, stack, project: what changed since the old URN); the engine turns each spec
// into a URN, multiplies in the alias its parent matched in the state (so a renamed or moved component carries its
// children along), and looks the resource up in the state by its own URN first, then by each alias in order.
// Mirrors pulumi/pulumi pkg/resource/deploy/step_generator.go (collapseAliasToUrn, inheritedChildAlias,
// generateAliases, the olds lookup in generateSteps) and pkg/resource/urn.go (CreateURN, NewURN). The Node SDK
// (@pulumi/pulumi runtime/resource.ts mapAliasesForRequest) sends specs whenever the monitor supports them, and fills
// a spec's parentUrn with the resource's own parent when the alias names none.

/** One alias as RegisterResourceRequest carries it; unset spec fields are "" as in the protobuf message. */
export type AliasSpec =
  | { urn: string }
  | { name: string; type: string; stack: string; project: string; parentUrn: string; noParent: boolean };

/** What alias resolution needs of a registration. `parent` is the parent's URN (the root stack's for top level). */
export interface AliasedRegistration {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  aliases: AliasSpec[];
}

/** The stack and project URNs of this run are built with. */
export interface UrnScope {
  project: string;
  stack: string;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** urn:pulumi:<stack>::<project>::<qualified type>::<name>; the name may itself contain "::". */
export function urnParts(urn: string): { stack: string; project: string; qualifiedType: string; type: string; name: string } {
  const parts = urn.replace(/^urn:pulumi:/, "").split("::");
  const qualifiedType = parts[2] ?? "";
  return {
    stack: parts[0] ?? "",
    project: parts[1] ?? "",
    qualifiedType,
    type: qualifiedType.split("$").pop() ?? "",
    name: parts.slice(3).join("::"),
  };
}

/** resource.NewURN: a child of the root stack carries no parent type; deeper children their parent's qualified type. */
export function newUrn(scope: UrnScope, parentQualifiedType: string, type: string, name: string): string {
  const qualified = parentQualifiedType && parentQualifiedType !== ROOT_STACK_TYPE ? `${parentQualifiedType}$${type}` : type;
  return `urn:pulumi:${scope.stack}::${scope.project}::${qualified}::${name}`;
}

/** resource.CreateURN: the parent URN up to its name, then "$<type>::<name>"; without a parent, a top-level URN. */
function createUrn(name: string, type: string, parent: string, project: string, stack: string): string {
  if (!parent) return `urn:pulumi:${stack}::${project}::${type}::${name}`;
  return `${parent.slice(0, parent.lastIndexOf("::"))}$${type}::${name}`;
}

/**
 * Which old URNs a resource may stand for when it appears as a parent. The engine knows the one alias the parent
 * matched in the state; without a state every alias of the parent is possible.
 */
interface ParentAliases {
  /** The URNs an alias naming this resource as its parent resolves against (the matched alias, else the URN). */
  asAliasParent(urn: string): string[];
  /** The old URNs of this resource its children inherit aliases from (the matched alias, if any). */
  inheritedBy(urn: string): string[];
}

/** collapseAliasToUrn: a spec's unset fields default to the resource's own; a URN alias stands as it is. */
function collapse(reg: AliasedRegistration, alias: AliasSpec, scope: UrnScope, parents: ParentAliases): string[] {
  if ("urn" in alias) return [alias.urn];
  const name = alias.name || reg.name;
  const type = alias.type || reg.type;
  const candidates = alias.parentUrn ? parents.asAliasParent(alias.parentUrn) : [reg.parent ?? ""];
  return candidates.map((candidate) => {
    const parent = alias.noParent || urnParts(candidate).qualifiedType === ROOT_STACK_TYPE ? "" : candidate;
    return createUrn(name, type, parent, alias.project || scope.project, alias.stack || scope.stack);
  });
}

/** inheritedChildAlias: the child under its parent's old URN; a name derived from the parent's follows its rename. */
function inheritedChildAlias(scope: UrnScope, childType: string, childName: string, parentName: string, parentAlias: string): string {
  const old = urnParts(parentAlias);
  const name = childName.startsWith(parentName) ? old.name + childName.slice(parentName.length) : childName;
  return newUrn(scope, old.qualifiedType, childType, name);
}

/** generateAliases: the resource's own aliases, then each combined with every old URN its parent stands for. */
function generateAliases(reg: AliasedRegistration, scope: UrnScope, parents: ParentAliases): string[] {
  const result = new Set<string>();
  for (const alias of reg.aliases) for (const urn of collapse(reg, alias, scope, parents)) result.add(urn);
  if (reg.parent) {
    const parentName = urnParts(reg.parent).name;
    for (const parentAlias of parents.inheritedBy(reg.parent)) {
      result.add(inheritedChildAlias(scope, reg.type, reg.name, parentName, parentAlias));
      for (const alias of reg.aliases) {
        for (const urn of collapse(reg, alias, scope, parents)) {
          const own = urnParts(urn);
          result.add(inheritedChildAlias(scope, own.type, own.name, parentName, parentAlias));
        }
      }
    }
  }
  result.delete(reg.urn);
  return [...result];
}

/**
 * Every old URN a resource may answer to, for a run without a state (the offline plan): registrations are fed in
 * order (a parent before its children, as the SDK registers them), and a child inherits from every old URN its parent
 * may answer to, where the engine would use only the one its parent matched. The engine looks the resource up by its
 * own URN first, then by these in order.
 */
export class AliasResolver {
  private readonly resolved = new Map<string, string[]>();

  constructor(private readonly scope: UrnScope) {}

  add(reg: AliasedRegistration): string[] {
    const of = (urn: string) => this.resolved.get(urn) ?? [];
    const aliases = generateAliases(reg, this.scope, {
      asAliasParent: (urn) => [urn, ...of(urn)],
      inheritedBy: of,
    });
    this.resolved.set(reg.urn, aliases);
    return aliases;
  }

  aliasesOf(urn: string): string[] {
    return this.resolved.get(urn) ?? [];
  }
}

/** What the engine would make of a run against a state holding `olds`. */
export interface StateMatch {
  /** New URN -> the old URN it took over through an alias (resources found by their own URN are not listed). */
  aliased: Map<string, string>;
  /** The registrations the engine rejects (duplicate aliases), in its words. */
  errors: string[];
}

/**
 * The engine's lookup against a state (generateSteps): each resource, in registration order, takes the first of its
 * own URN and its aliases that the state holds; an alias it takes over is remembered for its children. Two resources
 * taking the same old URN, or one taking an old URN that another resource has as its own, fail the deployment.
 */
export function matchState(regs: readonly AliasedRegistration[], scope: UrnScope, olds: ReadonlySet<string>): StateMatch {
  const aliased = new Map<string, string>();
  const takenBy = new Map<string, string>();
  const seen = new Set<string>();
  const errors: string[] = [];
  const parents: ParentAliases = {
    asAliasParent: (urn) => [aliased.get(urn) ?? urn],
    inheritedBy: (urn) => {
      const old = aliased.get(urn);
      return old ? [old] : [];
    },
  };
  for (const reg of regs) {
    const aliases = generateAliases(reg, scope, parents);
    const earlier = takenBy.get(reg.urn);
    if (earlier) errors.push(`${reg.urn} is registered, but ${earlier} already took over that URN through an alias`);
    for (const candidate of [reg.urn, ...aliases]) {
      if (!olds.has(candidate)) continue;
      if (candidate !== reg.urn) {
        if (seen.has(candidate)) {
          errors.push(`${reg.urn} aliases ${candidate}, which another resource of the program registers as its own URN`);
        }
        const other = takenBy.get(candidate);
        if (other) errors.push(`${reg.urn} and ${other} both alias ${candidate}; alias it from one resource only`);
        takenBy.set(candidate, reg.urn);
        aliased.set(reg.urn, candidate);
      }
      break;
    }
    seen.add(reg.urn);
  }
  return { aliased, errors };
}
