// Config of the control plane's namespace and revision tags (aks-mesh:istio.namespace, revisionTags, injectionTag).
import { parseConfig } from "../../config";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "dev" };

function parse(istio: Record<string, unknown>, meshNamespaces: { name: string }[] = []) {
  return parseConfig(
    {
      "aks-mesh:environment": "development",
      "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
      "aks-mesh:istio": JSON.stringify({ version: "1.23.4", ...istio }),
      "aks-mesh:meshNamespaces": JSON.stringify(meshNamespaces),
    },
    ctx,
  );
}

function problemsOf(istio: Record<string, unknown>, meshNamespaces: { name: string }[] = []): string[] {
  return configProblems(() => parse(istio, meshNamespaces));
}

test("defaults to istio-system and no tags, so namespaces carry the revision itself", () => {
  const { istio } = parse({});
  expect(istio.namespace).toBe("istio-system");
  expect(istio.tags).toEqual([]);
  expect(istio.injectionTag).toBeUndefined();
});

test("accepts the AKS add-on's namespace and a tag chosen for injection", () => {
  const { istio } = parse({
    namespace: "aks-istio-system",
    revisionTags: ["stable", "canary"],
    injectionTag: "stable",
  });
  expect(istio.namespace).toBe("aks-istio-system");
  expect(istio.tags).toEqual([
    { tag: "stable", revision: "1-23-4" },
    { tag: "canary", revision: "1-23-4" },
  ]);
  expect(istio.injectionTag).toBe("stable");
});

test.each([
  [
    "a namespace that is not a DNS label",
    { namespace: "Istio_System" },
    "aks-mesh:istio.namespace: must be a DNS label",
  ],
  [
    'the tag "default", which the base release\'s defaultRevision owns',
    { revisionTags: ["default"] },
    'aks-mesh:istio.revisionTags[0]: the tag "default" also takes over istio-injection=enabled namespaces',
  ],
  [
    "a tag listed twice",
    { revisionTags: ["stable", "stable"] },
    'aks-mesh:istio.revisionTags[1]: "stable" is listed twice',
  ],
  [
    "a tag named like the revision",
    { revision: "1-23-4", revisionTags: ["1-23-4"] },
    `aks-mesh:istio.revisionTags[0]: "1-23-4" is the name of an installed revision`,
  ],
  [
    "a tag named like the default revision of the version",
    { revisionTags: ["1-23-4"] },
    `aks-mesh:istio.revisionTags[0]: "1-23-4" is the name of an installed revision`,
  ],
  [
    "an injection tag that is not one of the tags",
    { revisionTags: ["stable"], injectionTag: "canary" },
    'aks-mesh:istio.injectionTag: "canary" is not one of revisionTags (["stable"])',
  ],
])("refuses %s, naming the key", (_, istio, message) => {
  const problems = problemsOf(istio);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(message);
});

test("refuses sidecars in the control plane's own namespace when it is not istio-system", () => {
  expect(problemsOf({ namespace: "aks-istio-system" }, [{ name: "aks-istio-system" }])).toEqual([
    'aks-mesh:meshNamespaces[0].name: "aks-istio-system" is the control plane\'s namespace (aks-mesh:istio.namespace) ' +
      "and must not get sidecars",
  ]);
  expect(problemsOf({}, [{ name: "aks-istio-system" }])).toEqual([]);
});
