// Canary splits: every route that splits traffic states its split in percent (house rule).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, fullName, knownItems, list, num, UNKNOWN } from "../lib";
import { virtualService } from "../lib/virtual-services";

export const virtualServiceRouteWeightsSumTo100: ResourceValidationPolicy & Why = {
  name: "virtualservice-route-weights-sum-to-100",
  description:
    "The weights of a route with several destinations add up to 100, so every canary step states its split in " +
    "percent (Istio normalises other totals silently and rejects a total of 0; VirtualService reference, HTTPRouteDestination).",
  enforcementLevel: "mandatory",
  why: "_house rule_: each canary step states its split in percent (Istio normalises other totals silently, rejects 0)",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    for (const section of ["http", "tcp", "tls"]) {
      knownItems(at(vs.spec, section)).forEach((rule, i) => {
        const route = list(at(rule, "route"));
        if (route === UNKNOWN || route.length < 2) return;
        let total = 0;
        for (const rd of route) {
          const w = num(at(rd, "weight"));
          if (w === UNKNOWN) return;
          total += w ?? 0;
        }
        if (total !== 100) {
          report(
            `VirtualService ${fullName(vs)} ${section}[${i}] splits traffic over ${route.length} destinations with weights ` +
              `summing to ${total}: make them add up to 100.`,
          );
        }
      });
    }
  },
};
