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

/**
 * The Istio minors (1.0 to 1.99) a proxyVersion regex matches, as istiod reads it: Go's regexp.MatchString on the
 * proxy's ISTIO_VERSION, unanchored (1.23.4 pilot/pkg/model/envoyfilter.go proxyMatch), so `.*` or `1\.2` match
 * every proxy or many minors. Probes a few releases per minor; UNKNOWN when JavaScript cannot compile the regex
 * (RE2-only syntax: istiod's own validation judges it).
 */
export function minorsMatched(proxyVersion: string): string[] | typeof UNKNOWN {
  let regex: RegExp;
  try {
    regex = new RegExp(proxyVersion);
  } catch {
    return UNKNOWN;
  }
  const minors: string[] = [];
  for (let minor = 0; minor < 100; minor++) {
    const releases = [0, 1, 4, 9, 10, 13].map((patch) => `1.${minor}.${patch}`);
    if ([...releases, `1.${minor}-dev`].some((v) => regex.test(v))) minors.push(`1.${minor}`);
  }
  return minors;
}

export const envoyFilterScoped: StackValidationPolicy & Why = {
  name: "envoyfilter-scoped-to-proxy-version-and-namespace",
  description:
    "Every configPatch of an EnvoyFilter matches a proxyVersion that names one Istio minor at most (a regex " +
    "istiod matches unanchored against the proxy's ISTIO_VERSION, pilot/pkg/model/envoyfilter.go proxyMatch), so an upgrade cannot apply it to an Envoy it was not written for " +
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
        if (version === UNKNOWN) return;
        if (typeof version === "string" && version !== "") {
          const minors = minorsMatched(version);
          if (minors === UNKNOWN || minors.length <= 1) return;
          report(
            `EnvoyFilter ${fullName(ef)} configPatches[${i}] has proxyVersion ${JSON.stringify(version)}, which ` +
              `matches proxies of ${minors.length} Istio minors (${minors[0]} to ${minors[minors.length - 1]}): ` +
              "istiod matches it unanchored against the proxy's version. Pin it to the release it was written " +
              "for (e.g. ^1\\.23\\.4([^0-9].*)?$), one copy per installed version.",
            ef.urn,
          );
          return;
        }
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
