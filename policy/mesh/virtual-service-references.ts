// istioctl analyze ports that read what a VirtualService refers to: gateways, destination hosts, subsets and
// ports (Istio 1.23.4 pkg/config/analysis/analyzers/virtualservice, messages in pkg/config/analysis/msg/messages.yaml).
// What the plan alone cannot see (Services and pods deployed outside the stack) is skipped, never guessed.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  hostFqdn,
  hostsMatch,
  isIstioObject,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObjects,
  knownItems,
  list,
  namespacedRef,
  num,
  str,
  UNKNOWN,
  type Unknown,
} from "../lib";
import {
  isInternalGatewayReference,
  MESH_GATEWAY,
  resourceNameFromHost,
  routeDestinations,
  strings,
  virtualService,
  vsGateways,
} from "../lib/virtual-services";

// ---------------------------------------------------------------------------------------------------------------
// IST0101 ReferencedResourceNotFound
// ---------------------------------------------------------------------------------------------------------------

export const ist0101ReferencedResourceNotFound: StackValidationPolicy & Why = {
  name: "ist0101-referenced-resource-not-found",
  description:
    "Every reference resolves inside the stack: a VirtualService's gateways, the host+subset pairs its routes and " +
    "mirrors use (defined by a DestinationRule) and the ports of Services it routes to (istioctl analyze IST0101; " +
    "analyzers/virtualservice/gateways.go, destinationrules.go, destinationhosts.go).",
  enforcementLevel: "mandatory",
  why: "a dangling reference drops traffic silently",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const gateways = istioObjects(objects, "Gateway");
    const gatewayNames = new Set<string>();
    let unknownGateway = false;
    for (const g of gateways) {
      if (g.namespace === UNKNOWN || g.name === UNKNOWN) unknownGateway = true;
      else gatewayNames.add(`${g.namespace}/${g.name}`);
    }
    // host+subset pairs the DestinationRules define
    const subsets = new Set<string>();
    let unknownSubset = false;
    for (const dr of istioObjects(objects, "DestinationRule")) {
      const host = str(at(dr.spec, "host"));
      if (host === UNKNOWN || dr.namespace === UNKNOWN) {
        unknownSubset = true;
        continue;
      }
      if (host === undefined) continue;
      const drSubsets = list(at(dr.spec, "subsets"));
      if (drSubsets === UNKNOWN) {
        unknownSubset = true;
        continue;
      }
      for (const s of drSubsets) {
        const name = str(at(s, "name"));
        if (typeof name !== "string") unknownSubset = true;
        else subsets.add(`${resourceNameFromHost(host, dr.namespace)}+${name}`);
      }
    }
    const services = inStackServices(objects);

    for (const vs of istioObjects(objects, "VirtualService")) {
      if (vs.namespace === UNKNOWN) continue;
      const gws = vsGateways(vs);
      if (gws !== UNKNOWN && !unknownGateway) {
        for (const gw of gws) {
          if (gw === MESH_GATEWAY || isInternalGatewayReference(gw)) continue;
          const ref = namespacedRef(gw, vs.namespace);
          if (!gatewayNames.has(`${ref.namespace}/${ref.name}`)) {
            report(
              `Referenced gateway not found: "${gw}" (VirtualService ${fullName(vs)}). Declare that Gateway in the stack or fix the reference.`,
              vs.urn,
            );
          }
        }
      }
      for (const rd of routeDestinations(vs.spec)) {
        const host = str(at(rd.destination, "host"));
        const subset = str(at(rd.destination, "subset"));
        if (typeof host !== "string" || subset === UNKNOWN) continue;
        if (subset !== undefined && subset !== "" && !unknownSubset) {
          if (!subsets.has(`${resourceNameFromHost(host, vs.namespace)}+${subset}`)) {
            const what = rd.kind === "route" ? "host+subset in destinationrule" : "mirror+subset in destinationrule";
            report(
              `Referenced ${what} not found: "${host}+${subset}" (VirtualService ${fullName(vs)} ${rd.path}). Define subset ` +
                `"${subset}" in a DestinationRule for host ${host}.`,
              vs.urn,
            );
          }
        }
        const svc = services.get(hostFqdn(host, vs.namespace));
        const port = num(at(rd.destination, "port", "number"));
        if (svc && svc !== UNKNOWN && typeof port === "number" && !svc.ports.includes(port)) {
          report(
            `Referenced host:port not found: "${host}:${port}" (VirtualService ${fullName(vs)} ${rd.path}); ${svc.what} ` +
              `exposes ${svc.ports.join(", ")}.`,
            vs.urn,
          );
        }
      }
    }

    // analyzers/gateway/gateway.go also reports a Gateway whose selector matches no pod. A plan sees only the pods the
    // stack declares, and a gateway workload may live outside it (prod's hand-installed gateway): not decidable, so
    // not checked (docs/istioctl-analyze.md). GatewayPortNotDefinedOnService (IST0162) covers in-stack gateways.
  },
};

/** Services and ServiceEntries the stack declares, by FQDN, with their ports (util.InitServiceEntryHostMap). */
function inStackServices(objects: KubeObject[]): Map<string, { what: string; ports: number[] } | Unknown> {
  const out = new Map<string, { what: string; ports: number[] } | Unknown>();
  const portsOf = (items: Json | undefined, key: string): number[] | Unknown => {
    const l = list(items);
    if (l === UNKNOWN) return UNKNOWN;
    const ports: number[] = [];
    for (const p of l) {
      const n = num(at(p, key));
      if (n === UNKNOWN) return UNKNOWN;
      if (n !== undefined) ports.push(n);
    }
    return ports;
  };
  for (const o of objects) {
    if (o.namespace === UNKNOWN) continue;
    if (o.group === "" && o.kind === "Service" && !o.isPatch && o.name !== UNKNOWN) {
      const ports = portsOf(at(o.spec, "ports"), "port");
      out.set(
        `${o.name}.${o.namespace}.svc.cluster.local`,
        ports === UNKNOWN ? UNKNOWN : { what: `Service ${fullName(o)}`, ports },
      );
    }
    if (isIstioObject(o) && o.kind === "ServiceEntry") {
      const hosts = strings(at(o.spec, "hosts"));
      const ports = portsOf(at(o.spec, "ports"), "number");
      if (hosts === UNKNOWN) continue;
      for (const h of hosts) {
        out.set(hostFqdn(h, o.namespace), ports === UNKNOWN ? UNKNOWN : { what: `ServiceEntry ${fullName(o)}`, ports });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// IST0112 VirtualServiceDestinationPortSelectorRequired
// ---------------------------------------------------------------------------------------------------------------

export const ist0112VirtualServiceDestinationPortSelectorRequired: StackValidationPolicy & Why = {
  name: "ist0112-virtualservice-destination-port-selector-required",
  description:
    "A route to a Service or ServiceEntry with several ports names the port: otherwise Istio cannot tell which one " +
    "to send to (istioctl analyze IST0112; decided for destinations the stack declares).",
  enforcementLevel: "mandatory",
  why: "Istio cannot tell which port to use",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const services = inStackServices(objects);
    for (const vs of istioObjects(objects, "VirtualService")) {
      if (vs.namespace === UNKNOWN) continue;
      for (const rd of routeDestinations(vs.spec)) {
        const host = str(at(rd.destination, "host"));
        if (typeof host !== "string" || at(rd.destination, "port") !== undefined) continue;
        const svc = services.get(hostFqdn(host, vs.namespace));
        if (!svc || svc === UNKNOWN || svc.ports.length < 2) continue;
        report(
          `This VirtualService routes to a service "${host}" that exposes multiple ports [${svc.ports.join(" ")}]. ` +
            `Specifying a port in the destination is required to disambiguate (VirtualService ${fullName(vs)} ${rd.path}).`,
          vs.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0132 VirtualServiceHostNotFoundInGateway
// ---------------------------------------------------------------------------------------------------------------

/** Gateway server hosts as a VirtualService in `vsNamespace` sees them (gateways.go sanitize + host.NamesForNamespace). */
function gatewayHostsFor(gw: KubeObject, vsNamespace: string): string[] | Unknown {
  if (gw.namespace === UNKNOWN) return UNKNOWN;
  const out: string[] = [];
  const servers = list(at(gw.spec, "servers"));
  if (servers === UNKNOWN) return UNKNOWN;
  for (const s of servers) {
    const hosts = strings(at(s, "hosts"));
    if (hosts === UNKNOWN) return UNKNOWN;
    for (const h of hosts) {
      const slash = h.indexOf("/");
      if (slash < 0) {
        out.push(h);
        continue;
      }
      let ns = h.slice(0, slash);
      const host = h.slice(slash + 1);
      if (ns === ".") ns = gw.namespace;
      if (ns === "*" || ns === vsNamespace) out.push(host);
    }
  }
  return out;
}

export const ist0132VirtualServiceHostNotFoundInGateway: StackValidationPolicy & Why = {
  name: "ist0132-virtualservice-host-not-found-in-gateway",
  description:
    "Every Gateway a VirtualService binds to serves at least one of its hosts for the VirtualService's namespace; " +
    "otherwise the routes never reach that gateway (istioctl analyze IST0132).",
  enforcementLevel: "mandatory",
  why: "the routes would never reach that gateway",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const gateways = istioObjects(objects, "Gateway");
    for (const vs of istioObjects(objects, "VirtualService")) {
      const gws = vsGateways(vs);
      const hosts = strings(at(vs.spec, "hosts"));
      if (gws === UNKNOWN || hosts === UNKNOWN || vs.namespace === UNKNOWN) continue;
      for (const gwRef of gws) {
        if (gwRef === MESH_GATEWAY || isInternalGatewayReference(gwRef)) continue;
        const ref = namespacedRef(gwRef, vs.namespace);
        const gw = gateways.find((g) => g.namespace === ref.namespace && g.name === ref.name);
        if (!gw) continue; // IST0101 reports a missing gateway
        const gwHosts = gatewayHostsFor(gw, vs.namespace);
        if (gwHosts === UNKNOWN) continue;
        if (!gwHosts.some((gh) => hosts.some((vh) => hostsMatch(gh, vh)))) {
          report(
            `one or more host [${hosts.join(" ")}] defined in VirtualService ${fullName(vs)} not found in Gateway ` +
              `${ref.namespace}/${ref.name}. Add the host to a server of the Gateway with namespace "${vs.namespace}/" or "*/".`,
            vs.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0165 ReferencedInternalGateway
// ---------------------------------------------------------------------------------------------------------------

export const ist0165ReferencedInternalGateway: ResourceValidationPolicy & Why = {
  name: "ist0165-referenced-internal-gateway",
  description:
    "VirtualServices do not bind to the internal Gateways Istio generates for Kubernetes Gateway API gateways: their " +
    "names are an implementation detail that changes (istioctl analyze IST0165).",
  enforcementLevel: "mandatory",
  why: "those names are an implementation detail",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    const gws = vsGateways(vs);
    if (gws === UNKNOWN) return;
    for (const gw of gws.filter(isInternalGatewayReference)) {
      report(
        `Gateway reference in VirtualService ${fullName(vs)} is to an implementation-generated internal Gateway: ${gw}. ` +
          "Reference the Kubernetes Gateway with an HTTPRoute instead.",
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0140 IngressRouteRulesNotAffected
// ---------------------------------------------------------------------------------------------------------------

export const ist0140IngressRouteRulesNotAffected: StackValidationPolicy & Why = {
  name: "ist0140-ingress-route-rules-not-affected",
  description:
    "A VirtualService bound to gateways that routes to a host without a subset, while another VirtualService for " +
    "that host splits it into subsets, is warned about: the subset rules do not apply to the gateway's requests " +
    "(istioctl analyze IST0140, analyzers/virtualservice/destinationhosts.go analyzeSubset; exact host strings, as there).",
  enforcementLevel: "advisory",
  why: "the subset split does not apply to gateway traffic; a warning upstream, often intended",
  validateStack: (args, report) => {
    const vss = istioObjects(kubeObjects(args.resources), "VirtualService");
    // initVirtualServiceDestinations: VirtualServices with http route destinations that name a subset of one of
    // their own hosts.
    const withSubsets: { name: string; hosts: Set<string> }[] = [];
    for (const vs of vss) {
      const hosts = strings(at(vs.spec, "hosts"));
      if (hosts === UNKNOWN) return;
      const subsetHosts = new Set<string>();
      for (const rule of knownItems(at(vs.spec, "http"))) {
        for (const rd of knownItems(at(rule, "route"))) {
          const host = str(at(rd, "destination", "host"));
          const subset = str(at(rd, "destination", "subset"));
          if (host === UNKNOWN || subset === UNKNOWN) return;
          if (typeof host === "string" && (subset ?? "") !== "" && hosts.includes(host)) subsetHosts.add(host);
        }
      }
      if (subsetHosts.size > 0) withSubsets.push({ name: fullName(vs), hosts: subsetHosts });
    }
    for (const vs of vss) {
      const gws = list(at(vs.spec, "gateways"));
      if (gws === UNKNOWN || gws.length === 0) continue;
      knownItems(at(vs.spec, "http")).forEach((rule, i) => {
        for (const rd of knownItems(at(rule, "route"))) {
          const host = str(at(rd, "destination", "host"));
          const subset = str(at(rd, "destination", "subset"));
          if (typeof host !== "string" || subset === UNKNOWN || (subset ?? "") !== "") continue;
          for (const other of withSubsets) {
            if (!other.hosts.has(host)) continue;
            report(
              `Subset in virtual service ${other.name} has no effect on ingress gateway ${fullName(vs)} requests ` +
                `(http[${i}] routes to ${host} without a subset): name the subset here too, or accept that gateway ` +
                "traffic skips that split.",
              vs.urn,
            );
          }
        }
      });
    }
  },
};
