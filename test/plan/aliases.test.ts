// Aliases resolved as the Pulumi engine resolves them (tools/plan/aliases.ts): first on registrations built by hand,
// then through the SDK, so what the recorder writes to resources.json is what a real `pulumi up` would look up.
import * as pulumi from "@pulumi/pulumi";
import { AliasResolver, type AliasedRegistration, type AliasSpec, matchState } from "../../tools/plan/aliases";
import { type Harness, mockRuntime } from "../harness";

const scope = { project: "aks-mesh", stack: "prod" };
const STACK = "urn:pulumi:prod::aks-mesh::pulumi:pulumi:Stack::aks-mesh-prod";
const top = (type: string, name: string) => `urn:pulumi:prod::aks-mesh::${type}::${name}`;
const spec = (s: Partial<Extract<AliasSpec, { name: string }>>): AliasSpec => ({
  name: "",
  type: "",
  stack: "",
  project: "",
  parentUrn: "",
  noParent: false,
  ...s,
});
const reg = (urn: string, parent: string | null, aliases: AliasSpec[] = []): AliasedRegistration => {
  const parts = urn.split("::");
  return { urn, type: (parts[2] ?? "").split("$").pop() ?? "", name: parts.slice(3).join("::"), parent, aliases };
};
const resolveAll = (regs: AliasedRegistration[]) => {
  const resolver = new AliasResolver(scope);
  return regs.map((r) => resolver.add(r));
};

describe("resolving aliases without a state (what resources.json lists)", () => {
  test("a renamed resource answers to its old name", () => {
    const [aliases] = resolveAll([reg(top("t:m:Ip", "ingress-ip"), STACK, [spec({ name: "static-ip", parentUrn: STACK })])]);
    expect(aliases).toEqual([top("t:m:Ip", "static-ip")]);
  });

  test("a resource whose type changed answers to its old type", () => {
    const [aliases] = resolveAll([reg(top("t:new:Ip", "ip"), STACK, [spec({ type: "t:old:Ip", parentUrn: STACK })])]);
    expect(aliases).toEqual([top("t:old:Ip", "ip")]);
  });

  test("a resource moved into a component answers to its old top-level URN through noParent", () => {
    const comp = top("t:m:Comp", "c");
    const [, aliases] = resolveAll([reg(comp, STACK), reg(`urn:pulumi:prod::aks-mesh::t:m:Comp$t:m:Ns::ns`, comp, [spec({ noParent: true })])]);
    expect(aliases).toEqual([top("t:m:Ns", "ns")]);
  });

  test("a resource moved between components answers to its URN under the old parent", () => {
    const oldParent = top("t:m:Old", "a");
    const newParent = top("t:m:New", "b");
    const [, , aliases] = resolveAll([
      reg(oldParent, STACK),
      reg(newParent, STACK),
      reg("urn:pulumi:prod::aks-mesh::t:m:New$t:m:Ns::ns", newParent, [spec({ parentUrn: oldParent })]),
    ]);
    expect(aliases).toEqual(["urn:pulumi:prod::aks-mesh::t:m:Old$t:m:Ns::ns"]);
  });

  test("a child inherits its parent's alias, its name following the parent's rename", () => {
    const parent = top("t:m:Gateway", "public-ingress");
    const [, aliases] = resolveAll([
      reg(parent, STACK, [spec({ name: "ingress-gateway", type: "t:m:IngressGateway", parentUrn: STACK })]),
      reg("urn:pulumi:prod::aks-mesh::t:m:Gateway$k:core/v1:Service::public-ingress-service", parent),
    ]);
    expect(aliases).toEqual(["urn:pulumi:prod::aks-mesh::t:m:IngressGateway$k:core/v1:Service::ingress-gateway-service"]);
  });

  test("a grandchild inherits through its parent's inherited alias", () => {
    const a = top("t:m:A", "a2");
    const b = "urn:pulumi:prod::aks-mesh::t:m:A$t:m:B::a2-b";
    const [, , aliases] = resolveAll([
      reg(a, STACK, [spec({ name: "a1", parentUrn: STACK })]),
      reg(b, a),
      reg("urn:pulumi:prod::aks-mesh::t:m:A$t:m:B$t:m:C::a2-b-c", b),
    ]);
    expect(aliases).toEqual(["urn:pulumi:prod::aks-mesh::t:m:A$t:m:B$t:m:C::a1-b-c"]);
  });

  test("a child's own alias combines with its parent's", () => {
    const parent = top("t:m:P", "new");
    const [, aliases] = resolveAll([
      reg(parent, STACK, [spec({ name: "old", type: "t:m:OldP", parentUrn: STACK })]),
      reg("urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::new-x", parent, [spec({ name: "new-y", parentUrn: parent })]),
    ]);
    expect(aliases).toEqual([
      // its own rename, under the parent as it is and as it was
      "urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::new-y",
      "urn:pulumi:prod::aks-mesh::t:m:OldP$t:m:C::new-y",
      // inherited from the parent's rename, then both renames at once
      "urn:pulumi:prod::aks-mesh::t:m:OldP$t:m:C::old-x",
      "urn:pulumi:prod::aks-mesh::t:m:OldP$t:m:C::old-y",
    ]);
  });

  test("an alias given as a URN stands as it is, and another stack or project is honoured", () => {
    const [aliases] = resolveAll([
      reg(top("t:m:Ip", "ip"), STACK, [{ urn: "urn:pulumi:prod::other::t:m:Ip::x" }, spec({ stack: "live", project: "mesh", noParent: true })]),
    ]);
    expect(aliases).toEqual(["urn:pulumi:prod::other::t:m:Ip::x", "urn:pulumi:live::mesh::t:m:Ip::ip"]);
  });

  test("lists nothing for a resource without aliases under a parent without aliases", () => {
    const parent = top("t:m:P", "p");
    expect(resolveAll([reg(parent, STACK), reg("urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::p-c", parent)])).toEqual([[], []]);
  });
});

describe("matching a state as the engine does", () => {
  const parent = top("t:m:P", "new");
  const child = "urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::new-x";
  const regs = [reg(parent, STACK, [spec({ name: "old", parentUrn: STACK })]), reg(child, parent)];

  test("takes over the old URNs of a renamed component and its children", () => {
    const olds = new Set([top("t:m:P", "old"), "urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::old-x"]);
    const { aliased, errors } = matchState(regs, scope, olds);
    expect(errors).toEqual([]);
    expect([...aliased]).toEqual([
      [parent, top("t:m:P", "old")],
      [child, "urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::old-x"],
    ]);
  });

  test("a child inherits only the alias its parent matched", () => {
    // The parent is found by its own URN, so the child is looked up under it only.
    const olds = new Set([parent, "urn:pulumi:prod::aks-mesh::t:m:P$t:m:C::old-x"]);
    expect([...matchState(regs, scope, olds).aliased]).toEqual([]);
  });

  test("a resource found by its own URN takes over none of its aliases", () => {
    const olds = new Set([parent, top("t:m:P", "old")]);
    expect([...matchState(regs, scope, olds).aliased]).toEqual([]);
  });

  test("rejects two resources aliasing one old URN", () => {
    const old = top("t:m:Ns", "shared");
    const { errors } = matchState(
      [reg(top("t:m:Ns", "a"), STACK, [{ urn: old }]), reg(top("t:m:Ns", "b"), STACK, [{ urn: old }])],
      scope,
      new Set([old]),
    );
    expect(errors).toEqual([`${top("t:m:Ns", "b")} and ${top("t:m:Ns", "a")} both alias ${old}; alias it from one resource only`]);
  });

  test("rejects an alias of a URN another resource registers as its own", () => {
    const kept = top("t:m:Ns", "a");
    const { errors } = matchState([reg(kept, STACK), reg(top("t:m:Ns", "b"), STACK, [{ urn: kept }])], scope, new Set([kept]));
    expect(errors).toEqual([`${top("t:m:Ns", "b")} aliases ${kept}, which another resource of the program registers as its own URN`]);
  });

  test("rejects a resource registering a URN an earlier resource took over through an alias", () => {
    const kept = top("t:m:Ns", "a");
    const { errors } = matchState([reg(top("t:m:Ns", "b"), STACK, [{ urn: kept }]), reg(kept, STACK)], scope, new Set([kept]));
    expect(errors).toEqual([`${kept} is registered, but ${top("t:m:Ns", "b")} already took over that URN through an alias`]);
  });
});

describe("aliases as the SDK sends them", () => {
  let harness: Harness;
  const T = "test:index:Thing";
  const testUrn = (qualified: string, name: string) => `urn:pulumi:test::aks-mesh::${qualified}::${name}`;
  const aliasesOf = (name: string) => harness.resources().find((r) => r.name === name)?.aliases;

  beforeAll(async () => {
    harness = await mockRuntime();
    const renamed = new pulumi.ComponentResource(T, "gateway", {}, { aliases: [{ name: "ingress" }] });
    new pulumi.ComponentResource("test:index:Part", "gateway-service", {}, { parent: renamed });
    const holder = new pulumi.ComponentResource(T, "holder", {});
    new pulumi.ComponentResource(T, "moved-in", {}, { parent: holder, aliases: [{ parent: pulumi.rootStackResource }] });
    new pulumi.ComponentResource(T, "retyped", {}, { aliases: [{ type: "test:old:Thing" }, testUrn(T, "by-urn")] });
    await harness.settle();
  });

  test("records a rename given as a name", () => {
    expect(aliasesOf("gateway")).toEqual([testUrn(T, "ingress")]);
  });

  test("records a child's alias inherited from its renamed parent", () => {
    expect(aliasesOf("gateway-service")).toEqual([testUrn(`${T}$test:index:Part`, "ingress-service")]);
  });

  test("records a move into a component given as parent: rootStackResource", () => {
    expect(aliasesOf("moved-in")).toEqual([testUrn(T, "moved-in")]);
  });

  test("records a type change and an alias given as a URN", () => {
    expect(aliasesOf("retyped")).toEqual([testUrn("test:old:Thing", "retyped"), testUrn(T, "by-urn")]);
  });

  test("records [] for a resource without aliases", () => {
    expect(aliasesOf("holder")).toEqual([]);
  });
});
