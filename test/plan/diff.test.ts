// `plan --diff`: what changed between two plans, as `pulumi preview --diff` shows it. Pure functions over the
// contract's files, so every case is two small hand-built plans.
import type { PlannedResource } from "../../tools/plan/contract";
import { diffLines, diffPlans, type Plan, type PlannedViolation } from "../../tools/plan/diff";

const STACK = "urn:pulumi:prod::aks-mesh::pulumi:pulumi:Stack::aks-mesh-prod";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource {
  return {
    urn: `urn:pulumi:prod::aks-mesh::${type}::${name}`,
    type,
    name,
    parent: STACK,
    dependsOn: [],
    protect: false,
    aliases: [],
    inputs,
    ...extra,
  };
}

const istiod = (memory: string) =>
  resource(RELEASE, "istio-istiod", {
    chart: "istiod",
    namespace: "istio-system",
    values: { global: { proxy: { resources: { limits: { cpu: "2000m", memory } } } } },
  });
const namespace = (name: string, labels: Record<string, string> = {}) =>
  resource("kubernetes:core/v1:Namespace", name, { metadata: { name, labels } });

const plan = (resources: PlannedResource[], violations: PlannedViolation[] = []): Plan => ({ resources, violations });

const violation = (policy: string, urn: string, message = `${policy} is violated`): PlannedViolation => ({
  policy,
  enforcementLevel: "advisory",
  urn,
  message,
});

test("a one-value config change is exactly one updated field of one resource", () => {
  const diff = diffPlans(plan([istiod("1Gi"), namespace("shop")]), plan([istiod("768Mi"), namespace("shop")]));
  expect(diff.resources).toEqual([
    {
      op: "update",
      urn: istiod("1Gi").urn,
      type: RELEASE,
      name: "istio-istiod",
      fields: [
        {
          path: "values.global.proxy.resources.limits.memory",
          kind: "update",
          before: "1Gi",
          after: "768Mi",
          replaces: false,
        },
      ],
    },
  ]);
  expect(diff.unchanged).toBe(1);
  expect(diffLines(diff)).toEqual([
    `  ~  ${RELEASE}: (update)`,
    `        [urn=${istiod("1Gi").urn}]`,
    '      ~ values.global.proxy.resources.limits.memory: "1Gi" => "768Mi"',
    "  Resources: 1 to update, 1 unchanged",
    "  Policy violations: no new or resolved violations",
  ]);
});

test("identical plans show no change", () => {
  const p = plan([istiod("1Gi"), namespace("shop")], [violation("p", STACK)]);
  const diff = diffPlans(p, structuredClone(p));
  expect(diff.resources).toEqual([]);
  expect(diff.unchanged).toBe(2);
  expect(diff.newViolations).toEqual([]);
  expect(diff.resolvedViolations).toEqual([]);
});

test("a new URN is a create and a vanished one a delete, each shown with its URN", () => {
  const diff = diffPlans(plan([namespace("shop")]), plan([namespace("billing")]));
  expect(diff.resources.map((c) => [c.op, c.name])).toEqual([
    ["create", "billing"],
    ["delete", "shop"],
  ]);
  const lines = diffLines(diff);
  expect(lines).toContain("  +  kubernetes:core/v1:Namespace: (create)");
  expect(lines).toContain(`        [urn=${namespace("billing").urn}]`);
  expect(lines).toContain("  -  kubernetes:core/v1:Namespace: (delete)");
  expect(lines).toContain("  Resources: 1 to create, 1 to delete, 0 unchanged");
});

test("a renamed resource that answers to its old URN through an alias is no delete and create", () => {
  // The Pulumi name changes, the object (metadata.name) does not.
  const renamed = (labels: Record<string, string>) =>
    resource("kubernetes:core/v1:Namespace", "billing", { metadata: { name: "shop", labels } }, { aliases: [namespace("shop").urn] });
  expect(diffPlans(plan([namespace("shop")]), plan([renamed({})]))).toMatchObject({ resources: [], unchanged: 1 });
  const diff = diffPlans(plan([namespace("shop")]), plan([renamed({ team: "b" })]));
  expect(diff.resources.map((c) => [c.op, c.name, c.aliasedUrn])).toEqual([["update", "billing", namespace("shop").urn]]);
  expect(diffLines(diff)).toContain(`        [aliases urn=${namespace("shop").urn}]`);
});

test("added and removed fields are + and - lines with their paths, label keys quoted", () => {
  const before = namespace("shop", { "istio.io/rev": "1-23-4" });
  const after = namespace("shop", { "istio-injection": "enabled" });
  const lines = diffLines(diffPlans(plan([before]), plan([after])));
  expect(lines).toContain('      + metadata.labels["istio-injection"]: "enabled"');
  expect(lines).toContain('      - metadata.labels["istio.io/rev"]: "1-23-4"');
});

test("array elements are compared by position, so a changed image is one path", () => {
  const deployment = (image: string) =>
    resource("kubernetes:apps/v1:Deployment", "gw", {
      metadata: { name: "gw" },
      spec: { selector: { matchLabels: { app: "gw" } }, template: { spec: { containers: [{ name: "istio-proxy", image }] } } },
    });
  const diff = diffPlans(plan([deployment("auto")]), plan([deployment("docker.io/istio/proxyv2:1.23.4")]));
  expect(diff.resources[0]?.fields.map((f) => f.path)).toEqual(["spec.template.spec.containers[0].image"]);
  expect(diff.resources[0]?.op).toBe("update");
});

describe("replacements", () => {
  test("a Kubernetes object moved to another namespace is replaced (pulumi-kubernetes forces new on metadata.namespace)", () => {
    const cm = (ns: string) => resource("kubernetes:core/v1:ServiceAccount", "sa", { metadata: { name: "sa", namespace: ns } });
    const diff = diffPlans(plan([cm("a")]), plan([cm("b")]));
    expect(diff.resources[0]?.op).toBe("replace");
    expect(diffLines(diff)).toContain('      ~ metadata.namespace: "a" => "b" (forces replacement)');
    expect(diffLines(diff)[0]).toBe("  +- kubernetes:core/v1:ServiceAccount: (replace)");
  });

  test("a Deployment's new selector replaces it, a new replica count does not", () => {
    const dep = (app: string, replicas: number) =>
      resource("kubernetes:apps/v1:Deployment", "gw", { metadata: { name: "gw" }, spec: { replicas, selector: { matchLabels: { app } } } });
    expect(diffPlans(plan([dep("gw", 2)]), plan([dep("gw", 3)])).resources[0]?.op).toBe("update");
    expect(diffPlans(plan([dep("gw", 2)]), plan([dep("gateway", 2)])).resources[0]?.op).toBe("replace");
  });

  test("an Azure resource in another region is replaced, a new tag is an update", () => {
    const ip = (location: string, tags: Record<string, string>) =>
      resource("azure-native:network:PublicIPAddress", "pip", { publicIpAddressName: "pip", resourceGroupName: "rg", location, tags });
    expect(diffPlans(plan([ip("koreacentral", {})]), plan([ip("koreacentral", { env: "prod" })])).resources[0]?.op).toBe("update");
    expect(diffPlans(plan([ip("koreacentral", {})]), plan([ip("westeurope", {})])).resources[0]?.op).toBe("replace");
  });

  test("any change to a role assignment replaces it (Azure does not update role assignments)", () => {
    const ra = (principalId: string) =>
      resource("azure-native:authorization:RoleAssignment", "ra", { principalId, scope: "/subscriptions/x/resourceGroups/rg" });
    expect(diffPlans(plan([ra("a")]), plan([ra("b")])).resources[0]?.op).toBe("replace");
  });

  test("a new type at the same parent and name is one replacement naming the old URN, not a create and a delete", () => {
    const before = resource("kubernetes:core/v1:ConfigMap", "settings", { metadata: { name: "settings" } });
    const after = resource("kubernetes:core/v1:Secret", "settings", { metadata: { name: "settings" } });
    const diff = diffPlans(plan([before]), plan([after]));
    expect(diff.resources).toEqual([
      { op: "replace", urn: after.urn, type: after.type, name: "settings", replacedUrn: before.urn, fields: [] },
    ]);
  });
});

test("a value that became a secret shows as [secret], never as text", () => {
  const hook = (url: string) => resource("kubernetes:core/v1:Secret", "hook", { metadata: { name: "hook" }, stringData: { url } });
  const lines = diffLines(diffPlans(plan([hook("https://example.com/old")]), plan([hook("[secret]")])));
  expect(lines).toContain('      ~ stringData.url: "https://example.com/old" => [secret] (forces replacement)');
});

test("a protect flag that changed is shown, since it decides whether `pulumi destroy` may delete the resource", () => {
  const ns = namespace("shop");
  const diff = diffPlans(plan([ns]), plan([{ ...ns, protect: true }]));
  expect(diff.resources[0]?.fields).toEqual([{ path: "[protect]", kind: "update", before: false, after: true, replaces: false }]);
});

test("new and resolved policy violations are listed with + and -, unchanged ones are not", () => {
  const kept = violation("kept", STACK);
  const fixed = violation("fixed", namespace("shop").urn);
  const added = violation("added", namespace("shop").urn, "line one\nline two");
  const diff = diffPlans(plan([namespace("shop")], [kept, fixed]), plan([namespace("shop")], [kept, added]));
  expect(diff.newViolations).toEqual([added]);
  expect(diff.resolvedViolations).toEqual([fixed]);
  const lines = diffLines(diff);
  expect(lines).toContain("  Policy violations: 1 new, 1 resolved");
  expect(lines).toContain(`  +  [advisory] added: ${namespace("shop").urn}`);
  expect(lines).toContain("        line two");
  expect(lines).toContain(`  -  [advisory] fixed: ${namespace("shop").urn}`);
  expect(lines.join("\n")).not.toContain("kept");
});
