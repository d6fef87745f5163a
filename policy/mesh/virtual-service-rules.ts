// istioctl analyze ports that read a VirtualService's own hosts, matches and rules (Istio 1.23.4
// pkg/config/analysis/analyzers/virtualservice; messages in pkg/config/analysis/msg/messages.yaml).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  canonical,
  fullName,
  hostFqdn,
  hostsMatch,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  namespacedRef,
  num,
  podTemplates,
  selects,
  str,
  stringMap,
  UNKNOWN,
} from "../lib";
import { MESH_GATEWAY, strings, virtualService, vsGateways } from "../lib/virtual-services";

// ---------------------------------------------------------------------------------------------------------------
// IST0109 ConflictingMeshGatewayVirtualServiceHosts, and the same for ingress gateways
// ---------------------------------------------------------------------------------------------------------------

export const ist0109ConflictingMeshGatewayVirtualServiceHosts: StackValidationPolicy & Why = {
  name: "ist0109-conflicting-mesh-gateway-virtualservice-hosts",
  description:
    "No two VirtualServices bound to the mesh gateway define the same host for the same namespaces: which one wins is " +
    "undefined; merge them into one (istioctl analyze IST0109).",
  enforcementLevel: "mandatory",
  why: "which one wins is undefined",
  validateStack: (args, report) => {
    // scope ("*" or a namespace) + FQDN -> VirtualServices
    const byHost = new Map<string, KubeObject[]>();
    for (const vs of istioObjects(kubeObjects(args.resources), "VirtualService")) {
      const gws = vsGateways(vs);
      if (gws === UNKNOWN || !gws.includes(MESH_GATEWAY) || vs.namespace === UNKNOWN || vs.name === UNKNOWN) continue;
      const hosts = strings(at(vs.spec, "hosts"));
      const exportTo = strings(at(vs.spec, "exportTo"));
      if (hosts === UNKNOWN || exportTo === UNKNOWN) continue;
      const scopes =
        exportTo.length === 0 || exportTo.includes("*")
          ? ["*"]
          : [...new Set(exportTo.map((e) => (e === "." ? vs.namespace : e)))];
      for (const scope of scopes as string[]) {
        for (const h of hosts) {
          const key = `${scope}/${hostFqdn(h, vs.namespace)}`;
          byHost.set(key, [...(byHost.get(key) ?? []), vs]);
        }
      }
    }
    const reported = new Set<string>();
    for (const [key, list0] of byHost) {
      const [scope, fqdn] = [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)];
      let vss = list0;
      if (scope !== "*") {
        for (const [k2, l2] of byHost) {
          if (k2.startsWith("*/") && hostsMatch(fqdn, k2.slice(2))) vss = [...vss, ...l2];
        }
      }
      const unique = [...new Set(vss)];
      if (unique.length < 2) continue;
      const names = unique.map(fullName).sort().join(",");
      for (const vs of unique) {
        if (reported.has(vs.urn)) continue;
        reported.add(vs.urn);
        report(
          `The VirtualServices ${names} associated with mesh gateway define the same host ${key} which can lead to ` +
            "undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.",
          vs.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0130 VirtualServiceUnreachableRule / IST0131 VirtualServiceIneffectiveMatch
// ---------------------------------------------------------------------------------------------------------------

/** The key Istio compares matches by: the match without its name (validation.asJSON). */
function matchKey(match: Json): string | undefined {
  if (match !== null && typeof match === "object" && !Array.isArray(match)) {
    const { name: _name, ...rest } = match;
    return canonical(rest);
  }
  return canonical(match);
}

/** The value Istio compares string matches by: "exact:<v>", "prefix:<v>" or "" (validation.assignExactOrPrefix). */
function exactOrPrefix(m: Json | undefined): string {
  const exact = str(at(m, "exact"));
  const prefix = str(at(m, "prefix"));
  if (typeof exact === "string" && exact !== "") return `exact:${exact}`;
  if (typeof prefix === "string" && prefix !== "") return `prefix:${prefix}`;
  return "";
}

interface PrefixMatch {
  route: string;
  match: string;
  prefix: string;
  port: number;
  method: string;
  authority: string;
  headers: Record<string, string>;
  queryParams: Record<string, string>;
  withoutHeaders: Record<string, string>;
}

function mapOf(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, m] of Object.entries(v)) out[k] = exactOrPrefix(m);
  }
  return out;
}

/** validation.coveredValidation: whether the earlier prefix match `a` catches everything the later `b` matches. */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix)) return false;
  if (b.port !== a.port) return false;
  if (a.method !== b.method && !a.method.startsWith(b.method)) return false;
  if (a.authority !== b.authority && !a.authority.startsWith(b.authority)) return false;
  for (const [x, y] of [
    [a.headers, b.headers],
    [a.queryParams, b.queryParams],
    [a.withoutHeaders, b.withoutHeaders],
  ] as const) {
    if (Object.keys(x).length !== Object.keys(y).length) return false;
    for (const [k, v] of Object.entries(x)) {
      const w = y[k];
      if (w === undefined || (v !== w && !v.startsWith(w))) return false;
    }
  }
  return true;
}

export const ist0130VirtualServiceUnreachableRule: ResourceValidationPolicy & Why = {
  name: "ist0130-ist0131-virtualservice-unreachable-rule",
  description:
    "Every rule of a VirtualService can be reached and every match can fire: Istio takes the first rule that " +
    "matches, so a rule after a catch-all, or a match shadowed by an earlier one, never receives traffic " +
    "(istioctl analyze IST0130 VirtualServiceUnreachableRule, IST0131 VirtualServiceIneffectiveMatch).",
  enforcementLevel: "mandatory",
  why: "Istio takes the first matching rule: the later one never gets traffic",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    const name = fullName(vs);
    for (const section of ["http", "tcp", "tls"]) {
      const rules = list(at(vs.spec, section));
      if (rules === UNKNOWN) continue;
      const seen = new Map<string, number>();
      let emptyMatch = -1;
      const prefixMatches: PrefixMatch[] = [];
      const ruleName = (rule: Json, n: number) => {
        const rn = section === "http" ? str(at(rule, "name")) : undefined;
        return typeof rn === "string" && rn !== "" ? JSON.stringify(rn) : `#${n}`;
      };
      for (const [n, rule] of rules.entries()) {
        if (rule === UNKNOWN) continue;
        const matches = list(at(rule, "match"));
        if (matches === UNKNOWN) continue;
        if (matches.length === 0) {
          if (emptyMatch >= 0) {
            report(
              `VirtualService rule ${ruleName(rule, n)} not used (only the last rule can have no matches) in ${name} ${section}.`,
            );
          }
          emptyMatch = n;
          continue;
        }
        let duplicates = 0;
        for (const [m, match] of matches.entries()) {
          const key = matchKey(match);
          if (key === undefined) continue;
          const mname =
            section === "http" && typeof str(at(match, "name")) === "string" && str(at(match, "name")) !== ""
              ? JSON.stringify(str(at(match, "name")))
              : `#${m}`;
          const dup = seen.get(key);
          if (dup !== undefined) {
            report(
              `VirtualService rule ${ruleName(rule, n)} match ${mname} is not used (duplicate/overlapping match in rule ` +
                `${ruleName(rules[dup] as Json, dup)}) in ${name} ${section}.`,
            );
            duplicates++;
            continue;
          }
          seen.set(key, n);
          const prefix = section === "http" ? str(at(match, "uri", "prefix")) : undefined;
          if (typeof prefix === "string" && prefix !== "") {
            prefixMatches.push({
              route: ruleName(rule, n),
              match: mname,
              prefix,
              port: (() => {
                const p = num(at(match, "port"));
                return typeof p === "number" ? p : 0;
              })(),
              method: exactOrPrefix(at(match, "method")) || "exact:GET",
              authority: exactOrPrefix(at(match, "authority")),
              headers: mapOf(at(match, "headers")),
              queryParams: mapOf(at(match, "queryParams")),
              withoutHeaders: mapOf(at(match, "withoutHeaders")),
            });
          }
        }
        if (duplicates === matches.length) {
          report(
            `VirtualService rule ${ruleName(rule, n)} not used (all matches used by prior rules) in ${name} ${section}.`,
          );
        }
      }
      for (let i = 0; i < prefixMatches.length; i++) {
        for (let j = i + 1; j < prefixMatches.length; j++) {
          const a = prefixMatches[i] as PrefixMatch;
          const b = prefixMatches[j] as PrefixMatch;
          if (a.prefix === b.prefix || !covers(a, b)) continue;
          report(
            `VirtualService rule ${b.route} match ${b.match} of prefix ${b.prefix} is not used (duplicate/overlapping match ` +
              `in rule ${a.match} of prefix ${a.prefix} on ${a.route}) in ${name}: list the longer prefix first.`,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0149 JwtClaimBasedRoutingWithoutRequestAuthN
// ---------------------------------------------------------------------------------------------------------------

/** pkg/jwt.ToRoutingClaim: "@request.auth.claims.<c>" or "@request.auth.claims[<c>]". */
function isJwtClaimHeader(name: string): boolean {
  if (!name.toLowerCase().startsWith("@request.auth.claims")) return false;
  const rest = name.slice("@request.auth.claims".length);
  return (rest.startsWith(".") && rest.length > 1) || (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2);
}

function jwtClaimKey(spec: Json | undefined): string | undefined {
  for (const rule of knownItems(at(spec, "http"))) {
    for (const match of knownItems(at(rule, "match"))) {
      for (const field of ["headers", "withoutHeaders"]) {
        const h = at(match, field);
        if (h && typeof h === "object" && !Array.isArray(h)) {
          const key = Object.keys(h).find(isJwtClaimHeader);
          if (key) return key;
        }
      }
    }
  }
  return undefined;
}

export const ist0149JwtClaimBasedRoutingWithoutRequestAuthn: StackValidationPolicy & Why = {
  name: "ist0149-jwt-claim-based-routing-without-request-authn",
  description:
    "A VirtualService that routes on JWT claims (@request.auth.claims) has a RequestAuthentication for the gateway " +
    "pods it binds to: without one no token is validated and the claims are never available (istioctl analyze IST0149).",
  enforcementLevel: "mandatory",
  why: "no token validated means no claims to route on",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const ras = istioObjects(objects, "RequestAuthentication");
    if (ras.some((ra) => ra.namespace === UNKNOWN || stringMap(at(ra.spec, "selector", "matchLabels")) === UNKNOWN))
      return;
    const templates = objects.flatMap(podTemplates);
    for (const vs of istioObjects(objects, "VirtualService")) {
      const key = jwtClaimKey(vs.spec);
      const gws = vsGateways(vs);
      if (!key || gws === UNKNOWN || vs.namespace === UNKNOWN) continue;
      for (const gwRef of gws) {
        if (gwRef === MESH_GATEWAY) continue;
        const ref = namespacedRef(gwRef, vs.namespace);
        const gw = istioObjects(objects, "Gateway").find((g) => g.namespace === ref.namespace && g.name === ref.name);
        if (!gw) continue;
        const sel = stringMap(at(gw.spec, "selector"));
        if (sel === UNKNOWN) continue;
        for (const t of templates) {
          if (selects(sel, t.labels) !== true || t.namespace === UNKNOWN) continue;
          const covered = ras.some(
            (ra) =>
              (ra.namespace === root || ra.namespace === t.namespace) &&
              selects(stringMap(at(ra.spec, "selector", "matchLabels")), t.labels) === true,
          );
          if (!covered) {
            report(
              `The virtual service uses the JWT claim based routing (key: ${key}) but found no request authentication for ` +
                `the gateway (${ref.namespace}/${ref.name}) pod (${fullName(t.owner)}). The request authentication must ` +
                "first be applied for the gateway pods to validate the JWT token and make the claims available for routing.",
              vs.urn,
            );
          }
        }
      }
    }
  },
};
