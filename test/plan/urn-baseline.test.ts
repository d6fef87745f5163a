// The URN baseline check (tools/plan/urn-baseline.ts) on small hand-built runs: what counts as a would-be replace,
// what an alias settles, and what the failure tells the reader to do.
import fs from "node:fs";
import path from "node:path";
import type { AliasSpec } from "../../tools/plan/aliases";
import type { RecordedResource } from "../../tools/plan/monitor";
import { baselineText, checkUrns, readBaseline, urnProblems } from "../../tools/plan/urn-baseline";
import { tempDir } from "../harness";

const scope = { project: "aks-mesh", stack: "prod" };
const STACK = "urn:pulumi:prod::aks-mesh::pulumi:pulumi:Stack::aks-mesh-prod";
const IP = "aks-mesh:ingress:StaticIp";
const PIP = "azure-native:network:PublicIPAddress";
const urn = (qualified: string, name: string) => `urn:pulumi:prod::aks-mesh::${qualified}::${name}`;
const resource = (u: string, parent: string | null, aliasSpecs: AliasSpec[] = []): RecordedResource => {
  const parts = u.split("::");
  return {
    urn: u,
    type: (parts[2] ?? "").split("$").pop() ?? "",
    name: parts[3] ?? "",
    parent,
    dependsOn: [],
    protect: false,
    importId: null,
    custom: false,
    aliasSpecs,
    aliases: [],
    inputs: {},
  };
};
const baseline = [STACK, urn(IP, "ingress-ip"), urn(`${IP}$${PIP}`, "ingress-ip-pip")];
const renamed = (aliasSpecs: AliasSpec[]) => [
  resource(STACK, null),
  resource(urn(IP, "static-ip"), STACK, aliasSpecs),
  resource(urn(`${IP}$${PIP}`, "static-ip-pip"), urn(IP, "static-ip")),
];

test("reports a renamed component and its children as would-be replaces, outermost first, with the alias to add", () => {
  const check = checkUrns(baseline, renamed([]), scope);
  expect(check.replaced.map((r) => r.urn)).toEqual([urn(IP, "ingress-ip"), urn(`${IP}$${PIP}`, "ingress-ip-pip")]);
  const text = urnProblems(check, "prod");
  expect(text).toContain(`If it is now ${urn(IP, "static-ip")}, add aliases: [{ name: "ingress-ip" }] to that resource's options.`);
  expect(text).toContain("npm run urns:update -- --allow-removals");
});

test("accepts a rename whose component carries an alias: its children follow", () => {
  const check = checkUrns(baseline, renamed([{ name: "ingress-ip", type: "", stack: "", project: "", parentUrn: STACK, noParent: false }]), scope);
  expect(check.replaced).toEqual([]);
  expect(urnProblems(check, "prod")).toBe("");
  expect([...check.answered]).toEqual([
    [urn(IP, "ingress-ip"), urn(IP, "static-ip")],
    [urn(`${IP}$${PIP}`, "ingress-ip-pip"), urn(`${IP}$${PIP}`, "static-ip-pip")],
  ]);
});

test("accepts a baseline that holds both a renamed resource's old URN and its new one, as urns:update writes it", () => {
  const alias = { name: "ingress-ip", type: "", stack: "", project: "", parentUrn: STACK, noParent: false };
  const both = [...baseline, urn(IP, "static-ip"), urn(`${IP}$${PIP}`, "static-ip-pip")];
  const check = checkUrns(both, renamed([alias]), scope);
  expect(check.replaced).toEqual([]);
  expect(check.errors).toEqual([]);
  expect(check.answered.get(urn(`${IP}$${PIP}`, "ingress-ip-pip"))).toBe(urn(`${IP}$${PIP}`, "static-ip-pip"));
});

test("allows additions", () => {
  const run = [resource(STACK, null), resource(urn(IP, "ingress-ip"), STACK), resource(urn(`${IP}$${PIP}`, "ingress-ip-pip"), urn(IP, "ingress-ip"))];
  const check = checkUrns(baseline, [...run, resource(urn("aks-mesh:mesh:Sidecars", "sidecars"), STACK)], scope);
  expect(check.replaced).toEqual([]);
  expect(check.added).toEqual([urn("aks-mesh:mesh:Sidecars", "sidecars")]);
});

test("reports two resources aliasing one old URN", () => {
  const old = { urn: urn(IP, "ingress-ip") };
  const check = checkUrns(baseline, [resource(STACK, null), resource(urn(IP, "a"), STACK, [old]), resource(urn(IP, "b"), STACK, [old])], scope);
  expect(check.errors).toEqual([`${urn(IP, "b")} and ${urn(IP, "a")} both alias ${urn(IP, "ingress-ip")}; alias it from one resource only`]);
});

test("reads back the baseline it writes, sorted and without its comment lines", () => {
  const file = path.join(tempDir(), "prod.txt");
  fs.writeFileSync(file, baselineText([urn(IP, "b"), urn(IP, "a"), urn(IP, "a")]));
  expect(readBaseline(file)).toEqual([urn(IP, "a"), urn(IP, "b")]);
});
