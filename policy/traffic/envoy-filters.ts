// EnvoyFilters are written for one Envoy: scoped to the proxy version they were written for, and kept to the
// namespaces of the stack's gateways and application workloads (an EnvoyFilter in the mesh root namespace patches every
// proxy of the mesh). The patch-operation checks istioctl analyze makes live in policy/mesh/envoy-filters.ts.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, configOf, fullName, istioObjects, kubeObjects, list, meshRootNamespace, str, UNKNOWN } from "../lib";
import { declaredNamespaces, gatewayNamespaces, INJECTION_LABEL, isDeclaredOutsideMesh } from "../lib/injection";
import { REVISION_LABEL } from "../contract";

interface ScopeConfig {
  allowedNamespaces: string[];
}
const SCOPE_DEFAULTS: ScopeConfig = { allowedNamespaces: [] };

export const envoyFilterScoped: StackValidationPolicy & Why = {
  name: "envoyfilter-scoped-to-proxy-version-and-namespace",
  description:
    "Every configPatch of an EnvoyFilter matches a proxyVersion (a regex on the proxy's ISTIO_VERSION, " +
    "pilot/pkg/model/envoyfilter.go proxyMatch), so an upgrade cannot apply it to an Envoy it was not written for " +
    "(Istio EnvoyFilter reference: patches may break across versions); and the EnvoyFilter sits in a namespace of the " +
    "stack's gateways or enrolled application namespaces, or one allowedNamespaces lists (one in the mesh root " +
    "namespace applies to every proxy of the mesh).",
  enforcementLevel: "advisory",
  why: "_house rule_: an unscoped patch meets an Envoy it was not written for on the next upgrade",
  configSchema: {
    properties: {
      allowedNamespaces: {
        type: "array",
        items: { type: "string" },
        default: SCOPE_DEFAULTS.allowedNamespaces,
        description: "Namespaces allowed besides the stack's gateway and enrolled application namespaces.",
      },
    },
  },
  validateStack: (args, report) => {
    const { allowedNamespaces } = configOf<ScopeConfig>(args, SCOPE_DEFAULTS);
    const objects = kubeObjects(args.resources);
    const filters = istioObjects(objects, "EnvoyFilter");
    if (filters.length === 0) return;
    const declared = declaredNamespaces(objects);
    const root = meshRootNamespace(args.resources);
    const allowed = new Set([...allowedNamespaces, ...gatewayNamespaces(args.resources, objects)]);
    if (declared !== UNKNOWN) {
      for (const [name, ns] of declared) {
        const enrolled = ns.labels[REVISION_LABEL] !== undefined || ns.labels[INJECTION_LABEL] === "enabled";
        if (enrolled && !isDeclaredOutsideMesh(ns.labels)) allowed.add(name);
      }
    }
    for (const ef of filters) {
      if (typeof ef.namespace === "string" && declared !== UNKNOWN && !allowed.has(ef.namespace)) {
        const where =
          ef.namespace === root
            ? "the mesh root namespace: it patches every proxy of the mesh"
            : "no gateway or enrolled application namespace";
        report(
          `EnvoyFilter ${fullName(ef)} is in ${ef.namespace}, ${where}. Move it to the namespace of the workloads it ` +
            "patches, or list the namespace in this policy's allowedNamespaces.",
          ef.urn,
        );
      }
      const patches = list(at(ef.spec, "configPatches"));
      if (patches === UNKNOWN) continue;
      patches.forEach((patch, i) => {
        const version = str(at(patch, "match", "proxy", "proxyVersion"));
        if (version === UNKNOWN || (typeof version === "string" && version !== "")) return;
        report(
          `EnvoyFilter ${fullName(ef)} configPatches[${i}] matches every proxy version: set match.proxy.proxyVersion ` +
            "to the version it was written for (e.g. ^1\\.23\\.4([^0-9].*)?$), one copy per installed version " +
            "(aks-mesh:traffic writes its rate limits that way).",
          ef.urn,
        );
      });
    }
  },
};
