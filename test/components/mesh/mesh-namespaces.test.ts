import { type Harness, mockRuntime } from "../../harness";

let h: Harness;
beforeAll(async () => {
  h = await mockRuntime();
  const { MeshNamespaces } = await import("../../../components/mesh");
  new MeshNamespaces("mesh", {
    revision: "1-23-4",
    namespaces: [
      { name: "shop", existing: true },
      { name: "fresh", existing: false },
    ],
  });
  await h.settle();
});

test("labels an existing namespace with a server-side patch of the revision label only, never owning it", () => {
  const patch = h.one("kubernetes:core/v1:NamespacePatch", "mesh-shop");
  expect(patch.inputs.metadata).toEqual({
    name: "shop",
    labels: { "istio.io/rev": "1-23-4" },
    annotations: { "pulumi.com/patchForce": "true" },
  });
  expect(h.all("kubernetes:core/v1:Namespace").map((n) => n.name)).toEqual(["mesh-fresh"]);
});

test("creates a new namespace already enrolled in the revision", () => {
  const ns = h.one("kubernetes:core/v1:Namespace", "mesh-fresh");
  expect((ns.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
    "istio.io/rev": "1-23-4",
    "app.kubernetes.io/managed-by": "pulumi",
  });
});

test("never uses the legacy istio-injection label, which would pin namespaces to the default revision", () => {
  for (const r of h.resources().filter((x) => x.type.startsWith("kubernetes:core/v1:Namespace"))) {
    expect((r.inputs.metadata as { labels: Record<string, string> }).labels).not.toHaveProperty("istio-injection");
  }
});
