// Area "mesh" (components/mesh): the application side of the mesh, `aks-mesh:meshNamespaces` (namespace enrolment) and
// `aks-mesh:outsideMeshNamespaces`.
import { z } from "zod";
import type { ConfigArea, Parsed } from "./area";
import type { ingressKeys } from "./ingress";
import { dnsLabel, whenFieldsValid } from "./primitives";

export const meshNamespace = z.strictObject({
  name: dnsLabel.describe("Namespace name."),
  existing: z
    .boolean()
    .default(true)
    .describe(
      "true: the namespace exists and only gets the label (server-side apply patch); false: the stack creates it.",
    ),
});

export const meshNamespacesSection = z
  .array(meshNamespace)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((ns, i) => {
      if (seen.has(ns.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${ns.name}" is listed twice` });
      if (["kube-system", "kube-public", "kube-node-lease", "istio-system"].includes(ns.name)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `"${ns.name}" is a system namespace and must not get sidecars`,
        });
      }
      seen.add(ns.name);
    });
  })
  .describe("Application namespaces whose pods get sidecars from this stack's revision (label istio.io/rev).");

export const outsideMeshNamespacesSection = z
  .array(
    z.strictObject({
      name: dnsLabel.describe("Namespace name."),
      reason: z.string().min(1).describe("Why its pods run without sidecars (shown to reviewers of the stack file)."),
    }),
  )
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((ns, i) => {
      if (seen.has(ns.name)) {
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${ns.name}" is listed twice` });
      }
      seen.add(ns.name);
    });
  }, whenFieldsValid)
  .describe(
    "Namespaces that stay outside the mesh on purpose (no sidecars), each with its reason. Routes may target them, and " +
      "the injection policies leave them alone; a route to a namespace in neither list is refused.",
  );

export const meshKeys = {
  meshNamespaces: meshNamespacesSection.default([]),
  outsideMeshNamespaces: outsideMeshNamespacesSection.default([]),
};

type MeshParsed = Parsed<typeof meshKeys>;

export const meshArea: ConfigArea<
  typeof meshKeys,
  MeshParsed & Pick<Parsed<typeof ingressKeys>, "ingressGateway">,
  MeshParsed
> = {
  keys: meshKeys,
  crossChecks: (root, { key: k }) =>
    root.meshNamespaces.flatMap((ns, i) =>
      ns.name === root.ingressGateway.namespace
        ? [
            `${k(`meshNamespaces[${i}].name`)}: "${ns.name}" is the ingress gateway namespace (${k("ingressGateway.namespace")}); ` +
              "the gateway is injected by its own template and must not be listed",
          ]
        : [],
    ),
  resolve: (root) => ({ meshNamespaces: root.meshNamespaces, outsideMeshNamespaces: root.outsideMeshNamespaces }),
};
