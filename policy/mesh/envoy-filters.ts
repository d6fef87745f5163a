// istioctl analyze ports that read EnvoyFilters (Istio 1.23.4 pkg/config/analysis/analyzers/envoyfilter).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, istioObjects, kubeObjects, list, num, str, UNKNOWN } from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0151-IST0155 EnvoyFilter patch operations
// ---------------------------------------------------------------------------------------------------------------

const RELATIVE_OPS = new Set(["INSERT_BEFORE", "INSERT_AFTER", "REPLACE", "REMOVE"]);

export const ist0151EnvoyFilterPatchOperations: StackValidationPolicy & Why = {
  name: "ist0151-ist0155-envoyfilter-patch-operations",
  description:
    "EnvoyFilter patches use operations valid for what they apply to, and relative operations set a priority: " +
    "otherwise the patch is ignored or lands in an order that changes across upgrades (istioctl analyze IST0151-IST0155).",
  enforcementLevel: "mandatory",
  why: "the patch is ignored or its order changes across upgrades",
  validateStack: (args, report) => {
    // Names of filters patched with a proxyVersion match so far: later relative patches of them warn about upgrades.
    const versionedNames: string[] = [];
    for (const ef of istioObjects(kubeObjects(args.resources), "EnvoyFilter")) {
      const priority = num(at(ef.spec, "priority"));
      if (priority === UNKNOWN) continue;
      const patches = list(at(ef.spec, "configPatches"));
      if (patches === UNKNOWN) continue;
      for (const [i, patch] of patches.entries()) {
        if (at(patch, "patch") === undefined) break;
        const op = str(at(patch, "patch", "operation"));
        const applyTo = str(at(patch, "applyTo"));
        if (op === UNKNOWN || applyTo === UNKNOWN) continue;
        const valueName = at(patch, "patch", "value", "name");
        const instanceName =
          typeof valueName === "string"
            ? valueName
            : ((str(at(patch, "match", "listener", "filterChain", "filter", "name")) as string | undefined) ?? "");
        const where = `EnvoyFilter ${fullName(ef)} configPatches[${i}]`;
        const routeLevel = applyTo === "ROUTE_CONFIGURATION" || applyTo === "HTTP_ROUTE";
        const relative = () => {
          if ((priority ?? 0) !== 0) return;
          if (versionedNames.includes(String(instanceName))) {
            report(
              `${where}: This EnvoyFilter does not have a priority and has a relative patch operation (INSERT_BEFORE/AFTER, ` +
                "REPLACE, MERGE, DELETE) and proxyVersion set which can cause the EnvoyFilter not to be applied during an " +
                "upgrade. Using the INSERT_FIRST or ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly. (IST0155)",
              ef.urn,
            );
          } else {
            report(
              `${where}: This EnvoyFilter does not have a priority and has a relative patch operation set which can cause ` +
                "the EnvoyFilter not to be applied. Using the INSERT_FIRST of ADD option or setting the priority may help in " +
                "ensuring the EnvoyFilter is applied correctly. (IST0151)",
              ef.urn,
            );
          }
        };
        if (op === "ADD" && routeLevel) {
          report(
            `${where}: The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE. (IST0153)`,
            ef.urn,
          );
        } else if (op === "REMOVE") {
          if (routeLevel) {
            report(
              `${where}: The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE. (IST0154)`,
              ef.urn,
            );
          } else relative();
        } else if (op === "REPLACE") {
          if (applyTo !== "NETWORK_FILTER" && applyTo !== "HTTP_FILTER") {
            report(
              `${where}: The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER. (IST0152)`,
              ef.urn,
            );
          } else relative();
        } else if (op !== undefined && RELATIVE_OPS.has(op)) {
          relative();
        }
        const proxyVersion = str(at(patch, "match", "proxy", "proxyVersion"));
        if (typeof proxyVersion === "string" && proxyVersion !== "") versionedNames.push(String(instanceName));
      }
    }
  },
};
