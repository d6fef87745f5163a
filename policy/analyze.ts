// The static part of `istioctl analyze`, at preview time: checks of Istio 1.23.4's analyzers
// (pkg/config/analysis/analyzers, messages in pkg/config/analysis/msg/messages.yaml) that the plan alone decides,
// plus the traffic rules of the issue. Each policy is named after the check it ports and keeps its wording.
// What "the plan alone" cannot see (Services and pods deployed outside the stack) is skipped, never guessed.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  AMBIENT_LABEL,
  declaredNamespaces,
  gatewayNamespaces,
  INJECTION_LABEL,
  installedInjectors,
  matchingWebhook,
  REVISION_LABEL,
  SIDECAR_INJECT,
} from "./injection";
import {
  shown,
  at,
  canonical,
  configOf,
  fullName,
  hasUnknown,
  helmReleases,
  hostFqdn,
  hostsMatch,
  isIstioObject,
  ISTIO_SYSTEM,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  namespacedRef,
  num,
  parseDuration,
  podTemplates,
  selectorString,
  selects,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "./lib";

const MESH_GATEWAY = "mesh";

/** A destination of a VirtualService route, with where it sits (for messages). */
interface RouteDestination {
  kind: "route" | "mirror";
  path: string;
  destination: Json;
}

/** Route destinations of http/tcp/tls routes and the http mirrors (analyzers/virtualservice/util.go). */
export function routeDestinations(spec: Json | undefined): RouteDestination[] {
  const out: RouteDestination[] = [];
  for (const section of ["tcp", "tls", "http"]) {
    knownItems(at(spec, section)).forEach((rule, i) =>
      knownItems(at(rule, "route")).forEach((rd, j) => {
        const d = at(rd, "destination");
        if (d !== undefined) out.push({ kind: "route", path: `${section}[${i}].route[${j}]`, destination: d });
      }),
    );
  }
  knownItems(at(spec, "http")).forEach((rule, i) => {
    const m = at(rule, "mirror");
    if (m !== undefined) out.push({ kind: "mirror", path: `http[${i}].mirror`, destination: m });
    knownItems(at(rule, "mirrors")).forEach((mp, j) => {
      const d = at(mp, "destination");
      if (d !== undefined) out.push({ kind: "mirror", path: `http[${i}].mirrors[${j}]`, destination: d });
    });
  });
  return out;
}

/** The gateways a VirtualService binds to; ["mesh"] when it lists none. UNKNOWN when not known yet. */
export function vsGateways(vs: KubeObject): string[] | Unknown {
  const gws = list(at(vs.spec, "gateways"));
  if (gws === UNKNOWN || gws.some((g) => typeof g !== "string")) return UNKNOWN;
  return gws.length === 0 ? [MESH_GATEWAY] : (gws as string[]);
}

/** Known string items of a list field; UNKNOWN when the list or one item is unknown. */
function strings(v: Json | undefined): string[] | Unknown {
  const l = list(v);
  if (l === UNKNOWN || l.some((x) => x === UNKNOWN)) return UNKNOWN;
  return l.filter((x): x is string => typeof x === "string");
}

/** Resolves a host like util.GetResourceNameFromHost: "<name>.<ns>.svc.cluster.local" or <name> in the default ns. */
function resourceNameFromHost(host: string, defaultNamespace: string): string {
  const m = /^(.+)\.(.+)\.svc\.cluster\.local$/.exec(host);
  return m ? `${m[2]}/${m[1]}` : `${defaultNamespace}/${host}`;
}

/** kubernetes Gateway API: the label istiod puts on the pods it deploys for a Gateway. */
const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

// ---------------------------------------------------------------------------------------------------------------
// IST0101 ReferencedResourceNotFound
// ---------------------------------------------------------------------------------------------------------------

export const ist0101ReferencedResourceNotFound: StackValidationPolicy = {
  name: "ist0101-referenced-resource-not-found",
  description:
    "Every reference resolves inside the stack: a VirtualService's gateways, the host+subset pairs its routes and " +
    "mirrors use (defined by a DestinationRule) and the ports of Services it routes to (istioctl analyze IST0101; " +
    "analyzers/virtualservice/gateways.go, destinationrules.go, destinationhosts.go).",
  enforcementLevel: "mandatory",
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

/** Istio's kube.IsInternalGatewayReference: "<gw>-istio-autogenerated-k8s-gateway-<listener>". */
export function isInternalGatewayReference(ref: string): boolean {
  const name = ref.includes("/") ? ref.slice(ref.indexOf("/") + 1) : ref;
  return name.includes("-istio-autogenerated-k8s-gateway-");
}

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
// IST0102 NamespaceNotInjected
// ---------------------------------------------------------------------------------------------------------------

interface NamespaceConfig {
  /** Namespaces the check leaves alone, as `istioctl analyze --suppress` would (istio-system always is). */
  excludedNamespaces: string[];
}

export const ist0102NamespaceNotInjected: StackValidationPolicy = {
  name: "ist0102-namespace-not-injected",
  description:
    "Every namespace the stack declares says whether it gets sidecars: a non-empty istio-injection label or an " +
    "istio.io/rev label (istio-injection=disabled to opt out); otherwise its pods silently run outside the mesh. As " +
    "analyze: istio-system and ambient namespaces are skipped; gateway namespaces the stack runs are too (istioctl " +
    "analyze IST0102, analyzers/injection/injection.go).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      excludedNamespaces: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Namespaces not checked (istio-system and the stack's gateway namespaces never are).",
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf<NamespaceConfig>(args, { excludedNamespaces: [] });
    const objects = kubeObjects(args.resources);
    const gateways = gatewayNamespaces(args.resources, objects);
    const byDefault = injectsByDefault(args.resources);
    for (const ns of objects) {
      if (ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) continue;
      // A patch of an existing namespace only shows the labels it sets: the namespace may already carry one.
      if (ns.isPatch) continue;
      if (ns.name === ISTIO_SYSTEM || cfg.excludedNamespaces.includes(ns.name) || gateways.has(ns.name)) continue;
      const l = ns.labels;
      if (l[AMBIENT_LABEL] === "ambient") continue;
      if ((l[INJECTION_LABEL] ?? "") !== "" || l[REVISION_LABEL] !== undefined) continue;
      // With enableNamespacesByDefault analyze reports IST0148 (informational) instead: the namespace is injected.
      if (byDefault !== false) continue;
      report(
        `The namespace is not enabled for Istio injection. Label namespace ${ns.name} with istio.io/rev=<revision> ` +
          `(config aks-mesh:meshNamespaces) or istio-injection=enabled, or istio-injection=disabled to mark it as not needing injection.`,
        ns.urn,
      );
    }
  },
};

/** sidecarInjectorWebhook.enableNamespacesByDefault of the default-revision istiod (the configmap IST0102 reads). */
function injectsByDefault(resources: Parameters<typeof helmReleases>[0]): boolean | Unknown {
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const rev = str(at(r.values, "revision"));
    const v = at(r.values, "sidecarInjectorWebhook", "enableNamespacesByDefault");
    if (rev === UNKNOWN || v === UNKNOWN) return UNKNOWN;
    if ((rev ?? "") === "" && v === true) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// IST0123 NamespaceMultipleInjectionLabels
// ---------------------------------------------------------------------------------------------------------------

export const ist0123NamespaceMultipleInjectionLabels: ResourceValidationPolicy = {
  name: "ist0123-namespace-multiple-injection-labels",
  description:
    "A namespace carries one kind of injection label: istio-injection (any value) next to istio.io/rev or " +
    "istio.io/dataplane-mode makes the legacy label win silently (istioctl analyze IST0123, " +
    "analyzers/injection/injection.go; the istiod chart's webhooks give istio-injection precedence).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const ns = kubeObject(args.type, args.props, args.urn);
    if (!ns || ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) return;
    if (ns.name === ISTIO_SYSTEM) return;
    const l = ns.labels;
    const legacy = l[INJECTION_LABEL];
    const found: string[] = legacy !== undefined ? [`${INJECTION_LABEL}=${legacy}`] : [];
    for (const key of [REVISION_LABEL, AMBIENT_LABEL]) {
      if (l[key] !== undefined && (legacy === undefined || legacy === "enabled")) found.push(`${key}=${l[key]}`);
    }
    if (found.length > 1) {
      report(
        `The namespace has more than one type of injection labels: ${found.join(", ")} (namespace ${ns.name}). Keep ` +
          `one: ${REVISION_LABEL}=<revision> (config aks-mesh:meshNamespaces).`,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0109 ConflictingMeshGatewayVirtualServiceHosts, and the same for ingress gateways
// ---------------------------------------------------------------------------------------------------------------

export const ist0109ConflictingMeshGatewayVirtualServiceHosts: StackValidationPolicy = {
  name: "ist0109-conflicting-mesh-gateway-virtualservice-hosts",
  description:
    "No two VirtualServices bound to the mesh gateway define the same host for the same namespaces: which one wins is " +
    "undefined; merge them into one (istioctl analyze IST0109).",
  enforcementLevel: "mandatory",
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

export const virtualServiceGatewayHostUnique: StackValidationPolicy = {
  name: "virtualservice-gateway-host-unique",
  description:
    "House rule (stricter than istioctl analyze): no two VirtualServices bound to the same ingress/egress Gateway " +
    "claim the same host. Istio accepts the split and merges their routes in creation order, so routing depends on " +
    "history; one VirtualService per host (with `delegate` for per-team routes, whose delegates carry no hosts) keeps " +
    'it in the stack (Istio traffic management best practices, "split large virtual services").',
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const claims = new Map<string, { vs: KubeObject; host: string }[]>();
    for (const vs of istioObjects(kubeObjects(args.resources), "VirtualService")) {
      const gws = vsGateways(vs);
      const hosts = strings(at(vs.spec, "hosts"));
      if (gws === UNKNOWN || hosts === UNKNOWN || vs.namespace === UNKNOWN) continue;
      for (const gw of gws) {
        if (gw === MESH_GATEWAY) continue;
        const ref = namespacedRef(gw, vs.namespace);
        const key = `${ref.namespace}/${ref.name}`;
        claims.set(key, [...(claims.get(key) ?? []), ...hosts.map((host) => ({ vs, host }))]);
      }
    }
    for (const [gateway, list0] of claims) {
      const flagged = new Set<string>();
      for (let i = 0; i < list0.length; i++) {
        for (let j = i + 1; j < list0.length; j++) {
          const a = list0[i] as { vs: KubeObject; host: string };
          const b = list0[j] as { vs: KubeObject; host: string };
          // Envoy builds one virtual host per exact domain: a wildcard and a name under it do not collide.
          if (a.vs === b.vs || a.host.toLowerCase() !== b.host.toLowerCase()) continue;
          for (const [mine, other] of [
            [a, b],
            [b, a],
          ] as const) {
            const id = `${mine.vs.urn}|${other.vs.urn}|${mine.host}`;
            if (flagged.has(id)) continue;
            flagged.add(id);
            report(
              `VirtualService ${fullName(mine.vs)} claims host ${mine.host} on gateway ${gateway}, as does ${fullName(other.vs)} ` +
                `(${other.host}): keep one VirtualService per host and gateway (merge the routes, or use delegate).`,
              mine.vs.urn,
            );
          }
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Route checks decided per VirtualService
// ---------------------------------------------------------------------------------------------------------------

function virtualService(args: { type: string; props: unknown; urn: string }): KubeObject | undefined {
  const o = kubeObject(args.type, args.props, args.urn);
  return o && isIstioObject(o) && o.kind === "VirtualService" ? o : undefined;
}

export const virtualServiceRouteWeightsSumTo100: ResourceValidationPolicy = {
  name: "virtualservice-route-weights-sum-to-100",
  description:
    "The weights of a route with several destinations add up to 100, so every canary step states its split in " +
    "percent (Istio normalises other totals silently and rejects a total of 0; VirtualService reference, HTTPRouteDestination).",
  enforcementLevel: "mandatory",
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

export const retryPerTryTimeoutWithinRouteTimeout: ResourceValidationPolicy = {
  name: "retry-per-try-timeout-within-route-timeout",
  description:
    "A route's retries.perTryTimeout is not longer than its timeout: the route timeout cuts every attempt short, so " +
    "the retries that perTryTimeout promises never happen (Istio VirtualService reference, HTTPRetry).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const vs = virtualService(args);
    if (!vs) return;
    knownItems(at(vs.spec, "http")).forEach((rule, i) => {
      const timeout = str(at(rule, "timeout"));
      const perTry = str(at(rule, "retries", "perTryTimeout"));
      if (typeof timeout !== "string" || typeof perTry !== "string") return;
      const t = parseDuration(timeout);
      const p = parseDuration(perTry);
      if (t === undefined || p === undefined || t === 0) return;
      if (p > t) {
        report(
          `VirtualService ${fullName(vs)} http[${i}] has retries.perTryTimeout ${perTry}, longer than its timeout ${timeout}: ` +
            "lower perTryTimeout (e.g. timeout divided by the attempts) or raise the timeout (config aks-mesh:ingress.hosts[].routes[].timeout).",
        );
      }
    });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0112 VirtualServiceDestinationPortSelectorRequired
// ---------------------------------------------------------------------------------------------------------------

export const ist0112VirtualServiceDestinationPortSelectorRequired: StackValidationPolicy = {
  name: "ist0112-virtualservice-destination-port-selector-required",
  description:
    "A route to a Service or ServiceEntry with several ports names the port: otherwise Istio cannot tell which one " +
    "to send to (istioctl analyze IST0112; decided for destinations the stack declares).",
  enforcementLevel: "mandatory",
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
// IST0118 PortNameIsNotUnderNamingConvention
// ---------------------------------------------------------------------------------------------------------------

const PROTOCOLS = new Set([
  "tcp",
  "udp",
  "grpc",
  "grpc-web",
  "http",
  "http_proxy",
  "http2",
  "https",
  "tls",
  "mongo",
  "redis",
  "mysql",
]);
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

/** Whether Istio infers no protocol from a Service port (pkg/config/kube.ConvertProtocol). */
export function portProtocolUnsupported(port: number, name: string, protocol: string, appProtocol?: string): boolean {
  if (protocol === "UDP") return false;
  let n = appProtocol ?? name;
  if (appProtocol === "kubernetes.io/h2c") return false;
  if (n.toLowerCase().startsWith("grpc-web")) return false;
  const dash = n.indexOf("-");
  if (dash >= 0) n = n.slice(0, dash);
  if (PROTOCOLS.has(n.toLowerCase())) return false;
  return !WELL_KNOWN_TCP_PORTS.has(port);
}

export const ist0118PortNameIsNotUnderNamingConvention: ResourceValidationPolicy = {
  name: "ist0118-port-name-is-not-under-naming-convention",
  description:
    "Service ports are named <protocol>[-<suffix>] or set appProtocol, so Istio knows the protocol instead of " +
    "sniffing it; an ExternalName Service's port is not named tcp either (istioctl analyze IST0118 and IST0150, " +
    "analyzers/service/portname.go; Istio protocol selection docs).",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const svc = kubeObject(args.type, args.props, args.urn);
    if (!svc || svc.group !== "" || svc.kind !== "Service" || svc.labels === UNKNOWN) return;
    // Istio's own control-plane and gateway Services are exempt (util.IsIstioControlPlane, managed gateways).
    if (svc.labels.istio !== undefined || svc.labels.release === "istio") return;
    const managed = svc.labels["gateway.istio.io/managed"];
    if (managed === "istio.io-gateway-controller" || managed === "istio.io-mesh-controller") return;
    const type = str(at(svc.spec, "type"));
    if (type === UNKNOWN) return;
    for (const p of knownItems(at(svc.spec, "ports"))) {
      const port = num(at(p, "port"));
      const name = str(at(p, "name")) ?? "";
      const protocol = str(at(p, "protocol")) ?? "TCP";
      const appProtocol = str(at(p, "appProtocol"));
      if (typeof port !== "number" || name === UNKNOWN || protocol === UNKNOWN || appProtocol === UNKNOWN) continue;
      if (type === "ExternalName" && (name === "tcp" || portProtocolUnsupported(port, name, protocol, appProtocol))) {
        report(
          "Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for " +
            `ports serving TCP protocol from being forwarded correctly (Service ${fullName(svc)}, port ${name || port}; ` +
            "IST0150): name it for its protocol, e.g. http-<suffix> or https-<suffix>.",
        );
        continue;
      }
      if (portProtocolUnsupported(port, name, protocol, appProtocol)) {
        const target = at(p, "targetPort");
        const targetText = typeof target === "string" || typeof target === "number" ? String(target) : String(port);
        report(
          `Port name ${name} (port: ${port}, targetPort: ${targetText}) ` +
            `doesn't follow the naming convention of Istio port (Service ${fullName(svc)}): name it <protocol>[-suffix] ` +
            "(http, http2, https, grpc, tcp, tls, ...) or set appProtocol.",
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0128 / IST0129 NoServerCertificateVerification (destination and port level)
// ---------------------------------------------------------------------------------------------------------------

export const ist0128NoServerCertificateVerification: ResourceValidationPolicy = {
  name: "ist0128-ist0129-no-server-certificate-verification",
  description:
    "A DestinationRule with TLS mode SIMPLE or MUTUAL sets caCertificates, so the proxy verifies the server's " +
    "identity instead of trusting any certificate (istioctl analyze IST0128 destination level, IST0129 port level).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const dr = kubeObject(args.type, args.props, args.urn);
    if (!dr || !isIstioObject(dr) || dr.kind !== "DestinationRule") return;
    const host = String(str(at(dr.spec, "host")) ?? "");
    const hasWorkloadSelector = at(dr.spec, "workloadSelector") !== undefined;
    const check = (tls: Json | undefined, portLabel?: string) => {
      const mode = str(at(tls, "mode"));
      if (mode !== "SIMPLE" && mode !== "MUTUAL") return;
      const ca = str(at(tls, "caCertificates"));
      const cred = str(at(tls, "credentialName"));
      if (ca === UNKNOWN || cred === UNKNOWN) return;
      if ((ca ?? "") !== "" || ((cred ?? "") !== "" && hasWorkloadSelector)) return;
      const port = portLabel ? ` at port ${portLabel}` : "";
      report(
        `DestinationRule ${shown(dr.name)} in namespace ${shown(dr.namespace)} has TLS mode set to ${mode} but no ` +
          `caCertificates are set to validate server identity for host: ${host}${port}. Set tls.caCertificates ` +
          "(or credentialName with a workloadSelector).",
      );
    };
    check(at(dr.spec, "trafficPolicy", "tls"));
    for (const pls of knownItems(at(dr.spec, "trafficPolicy", "portLevelSettings"))) {
      const n = num(at(pls, "port", "number"));
      check(at(pls, "tls"), `number:${typeof n === "number" ? n : "?"}`);
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

export const ist0130VirtualServiceUnreachableRule: ResourceValidationPolicy = {
  name: "ist0130-ist0131-virtualservice-unreachable-rule",
  description:
    "Every rule of a VirtualService can be reached and every match can fire: Istio takes the first rule that " +
    "matches, so a rule after a catch-all, or a match shadowed by an earlier one, never receives traffic " +
    "(istioctl analyze IST0130 VirtualServiceUnreachableRule, IST0131 VirtualServiceIneffectiveMatch).",
  enforcementLevel: "mandatory",
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

export const ist0132VirtualServiceHostNotFoundInGateway: StackValidationPolicy = {
  name: "ist0132-virtualservice-host-not-found-in-gateway",
  description:
    "Every Gateway a VirtualService binds to serves at least one of its hosts for the VirtualService's namespace; " +
    "otherwise the routes never reach that gateway (istioctl analyze IST0132).",
  enforcementLevel: "mandatory",
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
// IST0145 ConflictingGateways
// ---------------------------------------------------------------------------------------------------------------

export const ist0145ConflictingGateways: StackValidationPolicy = {
  name: "ist0145-conflicting-gateways",
  description:
    "No two Gateways with the same selector serve the same host on the same port: the gateway workload would get " +
    "two conflicting listeners and keep one at random (istioctl analyze IST0145, " +
    "analyzers/gateway/conflictinggateway.go).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    interface Server {
      gw: KubeObject;
      selector: string;
      port: number;
      hosts: string[];
    }
    const servers: Server[] = [];
    for (const gw of istioObjects(kubeObjects(args.resources), "Gateway")) {
      const sel = stringMap(at(gw.spec, "selector"));
      if (sel === UNKNOWN || gw.name === UNKNOWN || gw.namespace === UNKNOWN) continue;
      for (const s of knownItems(at(gw.spec, "servers"))) {
        const port = num(at(s, "port", "number"));
        const hosts = strings(at(s, "hosts"));
        if (typeof port !== "number" || hosts === UNKNOWN) continue;
        servers.push({ gw, selector: selectorString(sel), port, hosts });
      }
    }
    // initGatewaysMap: selector~port -> gateway -> hosts of its last server on that port (a later server of the same
    // Gateway and port replaces an earlier one there, so analyze compares against the last one only; so do we).
    const byKey = new Map<string, Map<string, string[]>>();
    for (const o of servers) {
      const key = `${o.selector}~${o.port}`;
      const m = byKey.get(key) ?? new Map<string, string[]>();
      m.set(fullName(o.gw), o.hosts);
      byKey.set(key, m);
    }
    for (const s of servers) {
      const conflicting = new Set<string>();
      for (const [name, hosts] of byKey.get(`${s.selector}~${s.port}`) ?? []) {
        if (name === fullName(s.gw)) continue;
        if (s.hosts.some((h) => hosts.some((oh) => hostsMatch(h, oh)))) conflicting.add(name);
      }
      if (conflicting.size === 0) continue;
      report(
        `Conflict with gateways ${[...conflicting].sort().join(",")} (workload selector ${s.selector}, port ${s.port}, ` +
          `hosts ${s.hosts.join(",")}) in Gateway ${fullName(s.gw)}: serve each host and port from one Gateway.`,
        s.gw.urn,
      );
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

export const ist0149JwtClaimBasedRoutingWithoutRequestAuthn: StackValidationPolicy = {
  name: "ist0149-jwt-claim-based-routing-without-request-authn",
  description:
    "A VirtualService that routes on JWT claims (@request.auth.claims) has a RequestAuthentication for the gateway " +
    "pods it binds to: without one no token is validated and the claims are never available (istioctl analyze IST0149).",
  enforcementLevel: "mandatory",
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

// ---------------------------------------------------------------------------------------------------------------
// IST0151-IST0155 EnvoyFilter patch operations
// ---------------------------------------------------------------------------------------------------------------

const RELATIVE_OPS = new Set(["INSERT_BEFORE", "INSERT_AFTER", "REPLACE", "REMOVE"]);

export const ist0151EnvoyFilterPatchOperations: StackValidationPolicy = {
  name: "ist0151-ist0155-envoyfilter-patch-operations",
  description:
    "EnvoyFilter patches use operations valid for what they apply to, and relative operations set a priority: " +
    "otherwise the patch is ignored or lands in an order that changes across upgrades (istioctl analyze IST0151-IST0155).",
  enforcementLevel: "mandatory",
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

// ---------------------------------------------------------------------------------------------------------------
// IST0165 ReferencedInternalGateway
// ---------------------------------------------------------------------------------------------------------------

export const ist0165ReferencedInternalGateway: ResourceValidationPolicy = {
  name: "ist0165-referenced-internal-gateway",
  description:
    "VirtualServices do not bind to the internal Gateways Istio generates for Kubernetes Gateway API gateways: their " +
    "names are an implementation detail that changes (istioctl analyze IST0165).",
  enforcementLevel: "mandatory",
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
// IST0166 IneffectiveSelector
// ---------------------------------------------------------------------------------------------------------------

const SELECTOR_POLICY_KINDS = ["AuthorizationPolicy", "RequestAuthentication", "Telemetry", "WasmPlugin"];

export const ist0166IneffectiveSelector: StackValidationPolicy = {
  name: "ist0166-ineffective-selector",
  description:
    "Policies (AuthorizationPolicy, RequestAuthentication, Telemetry, WasmPlugin) target Kubernetes Gateway API " +
    "gateways with targetRef, not a selector: Istio ignores the selector for those pods (istioctl analyze IST0166).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    // Labels of Gateway API gateway pods per namespace: stack workloads with the label, and the pods istiod deploys
    // for each gateway.networking.k8s.io Gateway (labelled with its name).
    const pods: { namespace: string; labels: Record<string, string> | Unknown; exact: boolean }[] = [];
    for (const t of objects.flatMap(podTemplates)) {
      if (t.namespace === UNKNOWN) continue;
      if (t.labels === UNKNOWN) pods.push({ namespace: t.namespace, labels: UNKNOWN, exact: true });
      else if (t.labels[GATEWAY_NAME_LABEL] !== undefined)
        pods.push({ namespace: t.namespace, labels: t.labels, exact: true });
    }
    for (const g of objects) {
      if (g.group !== "gateway.networking.k8s.io" || g.kind !== "Gateway" || g.namespace === UNKNOWN) continue;
      pods.push({
        namespace: g.namespace,
        labels: g.name === UNKNOWN ? UNKNOWN : { [GATEWAY_NAME_LABEL]: g.name },
        exact: false,
      });
    }
    for (const kind of SELECTOR_POLICY_KINDS) {
      for (const p of istioObjects(objects, kind)) {
        if (at(p.spec, "targetRef") !== undefined || at(p.spec, "targetRefs") !== undefined) continue;
        const sel = stringMap(at(p.spec, "selector", "matchLabels"));
        if (sel === UNKNOWN || Object.keys(sel).length === 0 || p.namespace === UNKNOWN) continue;
        for (const pod of pods) {
          if (pod.namespace !== p.namespace || pod.labels === UNKNOWN) continue;
          // For istiod-deployed pods only the gateway-name label is known: decide only selectors limited to it.
          if (!pod.exact && Object.keys(sel).some((k) => k !== GATEWAY_NAME_LABEL)) continue;
          if (selects(sel, pod.labels) === true) {
            report(
              `Ineffective selector on Kubernetes Gateway ${pod.labels[GATEWAY_NAME_LABEL] ?? ""}. Use the TargetRef field ` +
                `instead (${kind} ${fullName(p)}).`,
              p.urn,
            );
            break;
          }
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0167 IneffectivePolicy
// ---------------------------------------------------------------------------------------------------------------

/** util.NamespaceInAmbientMode: the ambient label, unless istio-injection=enabled or a non-empty istio.io/rev wins. */
function namespaceInAmbientMode(labels: Record<string, string>): boolean {
  if (labels[INJECTION_LABEL] === "enabled") return false;
  if ((labels[REVISION_LABEL] ?? "") !== "") return false;
  return labels[AMBIENT_LABEL] === "ambient";
}

/** The annotation the Istio CNI sets on pods it redirects to ztunnel (constants.AmbientRedirection). */
const AMBIENT_REDIRECTION = "ambient.istio.io/redirection";

export const ist0167IneffectivePolicy: StackValidationPolicy = {
  name: "ist0167-ineffective-policy",
  description:
    "No Sidecar object applies to a namespace or workload in ambient mode: without a sidecar it has no impact " +
    "(istioctl analyze IST0167, analyzers/sidecar/selector.go: ambient namespace label unless an injection label wins; " +
    "pods by the CNI's ambient.istio.io/redirection annotation).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const ambientNamespaces = new Set<string>();
    for (const ns of objects) {
      if (ns.group !== "" || ns.kind !== "Namespace" || ns.name === UNKNOWN || ns.labels === UNKNOWN) continue;
      if (namespaceInAmbientMode(ns.labels)) ambientNamespaces.add(ns.name);
    }
    const templates = objects.flatMap(podTemplates);
    for (const sc of istioObjects(objects, "Sidecar")) {
      if (sc.namespace === UNKNOWN) continue;
      const sel = stringMap(at(sc.spec, "workloadSelector", "labels"));
      if (sel === UNKNOWN) continue;
      if (Object.keys(sel).length === 0) {
        if (ambientNamespaces.has(sc.namespace)) {
          report(
            `The policy has no impact: namespace is in ambient mode, the policy has no impact (Sidecar ${fullName(sc)}).`,
            sc.urn,
          );
        }
        continue;
      }
      const ambientPod = templates.some(
        (t) =>
          t.namespace === sc.namespace &&
          t.annotations !== UNKNOWN &&
          t.annotations[AMBIENT_REDIRECTION] === "enabled" &&
          selects(sel, t.labels) === true,
      );
      if (ambientPod) {
        report(
          `The policy has no impact: selected workload is in ambient mode, the policy has no impact (Sidecar ${fullName(sc)}).`,
          sc.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0110 ConflictingSidecarWorkloadSelectors / IST0111 MultipleSidecarsWithoutWorkloadSelectors
// ---------------------------------------------------------------------------------------------------------------

export const ist0110ConflictingSidecars: StackValidationPolicy = {
  name: "ist0110-ist0111-conflicting-sidecars",
  description:
    "At most one Sidecar object applies to each workload: two whose selectors match the same workload's pods " +
    "(IST0110), or two without a selector in one namespace (IST0111), leave which one applies undefined (istioctl " +
    "analyze, analyzers/sidecar/selector.go; decided for the workloads the stack declares).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const sidecars = istioObjects(objects, "Sidecar");
    if (sidecars.some((sc) => sc.namespace === UNKNOWN || sc.name === UNKNOWN)) return;
    const byNamespace = new Map<string, KubeObject[]>();
    const selected = new Map<KubeObject, { sc: KubeObject[]; ns: string; owner: KubeObject }>();
    const templates = objects.flatMap(podTemplates);
    const ambient = new Set<string>();
    for (const ns of objects) {
      if (ns.group === "" && ns.kind === "Namespace" && typeof ns.name === "string" && ns.labels !== UNKNOWN)
        if (namespaceInAmbientMode(ns.labels)) ambient.add(ns.name);
    }
    for (const sc of sidecars) {
      const sel = stringMap(at(sc.spec, "workloadSelector", "labels"));
      if (sel === UNKNOWN) return;
      if (Object.keys(sel).length === 0) {
        byNamespace.set(sc.namespace as string, [...(byNamespace.get(sc.namespace as string) ?? []), sc]);
        continue;
      }
      for (const t of templates) {
        if (t.namespace !== sc.namespace || selects(sel, t.labels) !== true) continue;
        if (t.annotations !== UNKNOWN && t.annotations[AMBIENT_REDIRECTION] === "enabled") continue; // IST0167
        const entry: { sc: KubeObject[]; ns: string; owner: KubeObject } = selected.get(t.owner) ?? {
          sc: [],
          ns: sc.namespace as string,
          owner: t.owner,
        };
        entry.sc.push(sc);
        selected.set(t.owner, entry);
      }
    }
    for (const { sc, ns, owner } of selected.values()) {
      if (sc.length < 2) continue;
      const names = sc.map((s) => String(s.name)).join(",");
      for (const s of sc) {
        report(
          `The Sidecars [${names}] in namespace ${ns} select the same workload pod "${String(owner.name)}", which can ` +
            `lead to undefined behavior (${owner.kind} ${fullName(owner)}): keep one Sidecar per workload.`,
          s.urn,
        );
      }
    }
    for (const [ns, list0] of byNamespace) {
      if (list0.length < 2 || ambient.has(ns)) continue;
      const names = list0.map((s) => String(s.name)).join(",");
      for (const s of list0) {
        report(
          `The Sidecars [${names}] in namespace ${ns} have no workload selector, which can lead to undefined behavior: ` +
            "keep one namespace-wide Sidecar.",
          s.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0162 GatewayPortNotDefinedOnService
// ---------------------------------------------------------------------------------------------------------------

export const ist0162GatewayPortNotDefinedOnService: StackValidationPolicy = {
  name: "ist0162-gateway-port-not-defined-on-service",
  description:
    "Every server port of a Gateway is a TCP port (or targetPort) of a Service selecting the gateway pods: otherwise " +
    "no traffic reaches that listener (istioctl analyze IST0162, analyzers/gateway/gateway.go; decided when the stack " +
    "declares both the gateway pods and their Service).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const templates = objects.flatMap(podTemplates);
    const services = objects.filter((o) => o.group === "" && o.kind === "Service" && !o.isPatch);
    for (const gw of istioObjects(objects, "Gateway")) {
      const sel = stringMap(at(gw.spec, "selector"));
      if (sel === UNKNOWN) continue;
      const pods = templates.filter((t) => selects(sel, t.labels) === true);
      if (pods.length === 0 || templates.some((t) => t.labels === UNKNOWN || t.namespace === UNKNOWN)) continue;
      const ports = new Set<number>();
      let serviceFound = false;
      let unknown = false;
      for (const pod of pods) {
        for (const svc of services) {
          if (svc.namespace !== pod.namespace) continue;
          const svcSel = stringMap(at(svc.spec, "selector"));
          if (svcSel === UNKNOWN) {
            unknown = true;
            continue;
          }
          // A Service without a selector selects no pod (klabels.SelectorFromSet of an empty map matches all, but
          // Kubernetes Services without a selector have no endpoints; analyze matches them too, so do we).
          if (selects(svcSel, pod.labels) !== true) continue;
          serviceFound = true;
          const svcPorts = list(at(svc.spec, "ports"));
          if (svcPorts === UNKNOWN) {
            unknown = true;
            continue;
          }
          for (const p of svcPorts) {
            const protocol = str(at(p, "protocol")) ?? "TCP";
            const port = num(at(p, "port"));
            const target = at(p, "targetPort");
            if (protocol === UNKNOWN || port === UNKNOWN || target === UNKNOWN) {
              unknown = true;
              continue;
            }
            if (protocol !== "TCP" || port === undefined) continue;
            // Like port.TargetPort.IntValue(): a named targetPort counts as 0, so the Service port is used.
            ports.add(port);
            if (typeof target === "number" && target !== 0) ports.add(target);
          }
        }
      }
      if (!serviceFound || unknown) continue;
      for (const server of knownItems(at(gw.spec, "servers"))) {
        const n = num(at(server, "port", "number"));
        if (typeof n !== "number" || ports.has(n)) continue;
        report(
          `The gateway refers to a port that is not exposed on the workload (pod selector ${selectorString(sel)}; port ` +
            `${n}) (Gateway ${fullName(gw)}): add port ${n} to the gateway's Service or change the server port.`,
          gw.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0144 InvalidApplicationUID
// ---------------------------------------------------------------------------------------------------------------

/** util.IsIstioControlPlane: an `istio` label, or release=istio, on the object itself. */
function isIstioControlPlane(o: KubeObject): boolean | Unknown {
  if (o.labels === UNKNOWN) return UNKNOWN;
  return o.labels.istio !== undefined || o.labels.release === "istio";
}

export const ist0144InvalidApplicationUid: ResourceValidationPolicy = {
  name: "ist0144-invalid-application-uid",
  description:
    "No application container or pod runs as UID 1337: the sidecar's iptables rules let that user's traffic bypass " +
    "the proxy (istioctl analyze IST0144, analyzers/deployment/pod.go: Pods and Deployments, istio-proxy and " +
    "istio-operator containers and Istio's own objects excepted).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const o = kubeObject(args.type, args.props, args.urn);
    if (
      !o ||
      o.isPatch ||
      (o.kind !== "Pod" && o.kind !== "Deployment") ||
      o.group !== (o.kind === "Pod" ? "" : "apps")
    )
      return;
    if (isIstioControlPlane(o) !== false) return;
    const spec = o.kind === "Pod" ? o.spec : at(o.spec, "template", "spec");
    const uids: (string | number)[] = [];
    const podUid = num(at(spec, "securityContext", "runAsUser"));
    if (podUid === 1337) uids.push("the pod securityContext");
    for (const c of knownItems(at(spec, "containers"))) {
      const name = str(at(c, "name"));
      if (name === UNKNOWN || name === "istio-proxy" || name === "istio-operator") continue;
      if (num(at(c, "securityContext", "runAsUser")) === 1337) uids.push(`container ${String(name)}`);
    }
    for (const where of uids) {
      report(
        `User ID (UID) 1337 is reserved for the sidecar proxy (${o.kind} ${fullName(o)}, ${where}): run the ` +
          "application as another user.",
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0146 ImageAutoWithoutInjectionWarning
// ---------------------------------------------------------------------------------------------------------------

export const ist0146ImageAutoWithoutInjection: StackValidationPolicy = {
  name: "ist0146-image-auto-without-injection",
  description:
    "A Deployment whose istio-proxy container has `image: auto` (a gateway deployed by hand) matches an injection " +
    'webhook the stack installs: otherwise the pod starts with the literal image "auto" and fails to pull ' +
    "(istioctl analyze IST0146, analyzers/injection/image-auto.go; webhooks as the istiod chart renders them).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    for (const d of objects) {
      if (d.kind !== "Deployment" || d.group !== "apps" || d.isPatch) continue;
      for (const t of podTemplates(d)) {
        if (t.namespace === UNKNOWN || t.labels === UNKNOWN) continue;
        const containers = list(at(t.spec, "containers"));
        if (containers === UNKNOWN) continue;
        const auto = containers.some((c) => str(at(c, "name")) === "istio-proxy" && str(at(c, "image")) === "auto");
        if (!auto) continue;
        // Only a namespace the stack declares in full has known labels; a patch shows only what it sets.
        const ns = namespaces.get(t.namespace);
        if (!ns || ns.partial) continue;
        if (matchingWebhook(inj, ns.labels, { namespace: t.namespace, labels: t.labels })) continue;
        report(
          `Deployment ${String(d.name)} contains \`image: auto\` but does not match any Istio injection webhook ` +
            `selectors (Deployment ${fullName(d)}; the stack installs ${inj.revisions.map((r) => `"${r}"`).join(", ")}): ` +
            `label its pods ${REVISION_LABEL}=${inj.revisions[0] ?? "<revision>"}.`,
          d.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0157 InvalidTelemetryProvider, IST0159 / IST0160 Telemetry selectors
// ---------------------------------------------------------------------------------------------------------------

export const ist0157InvalidTelemetryProvider: StackValidationPolicy = {
  name: "ist0157-invalid-telemetry-provider",
  description:
    "A Telemetry's enabled accessLogging entry names a provider unless meshConfig.defaultProviders.accessLogging " +
    "sets one: Istio ignores it otherwise (istioctl analyze IST0157, analyzers/telemetry/providers.go; mesh config " +
    "from the istiod release's meshConfig).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of helmReleases(args.resources)) {
      if (r.chart !== "istiod") continue;
      const defaults = list(at(r.values, "meshConfig", "defaultProviders", "accessLogging"));
      if (defaults === UNKNOWN || defaults.length > 0) return;
    }
    for (const t of istioObjects(kubeObjects(args.resources), "Telemetry")) {
      for (const l of knownItems(at(t.spec, "accessLogging"))) {
        const disabled = at(l, "disabled");
        const providers = list(at(l, "providers"));
        if (disabled === UNKNOWN || providers === UNKNOWN || disabled === true) continue;
        if (providers.length === 0) {
          report(
            `The Telemetry ${shown(t.name)} in namespace "${shown(t.namespace)}" with empty providers will be ignored: ` +
              "name a provider in accessLogging[].providers or set meshConfig.defaultProviders.accessLogging.",
            t.urn,
          );
          break;
        }
      }
    }
  },
};

export const ist0159ConflictingTelemetries: StackValidationPolicy = {
  name: "ist0159-ist0160-conflicting-telemetries",
  description:
    "At most one Telemetry applies to each workload: two whose selectors match the same workload's pods (IST0159), " +
    "or two without a selector in one namespace (IST0160), leave which one applies undefined (istioctl analyze, " +
    "analyzers/telemetry/selector.go and default_selector.go; decided for the workloads the stack declares).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const telemetries = istioObjects(objects, "Telemetry");
    if (telemetries.some((t) => t.namespace === UNKNOWN || t.name === UNKNOWN)) return;
    const templates = objects.flatMap(podTemplates);
    const selected = new Map<KubeObject, KubeObject[]>();
    const bare = new Map<string, KubeObject[]>();
    for (const t of telemetries) {
      const selector = at(t.spec, "selector");
      if (selector === UNKNOWN) return;
      if (selector === undefined) {
        bare.set(t.namespace as string, [...(bare.get(t.namespace as string) ?? []), t]);
        continue;
      }
      const sel = stringMap(at(selector, "matchLabels"));
      if (sel === UNKNOWN) return;
      if (Object.keys(sel).length === 0) continue;
      for (const p of templates) {
        if (p.namespace !== t.namespace || selects(sel, p.labels) !== true) continue;
        selected.set(p.owner, [...(selected.get(p.owner) ?? []), t]);
      }
    }
    for (const [owner, ts] of selected) {
      if (ts.length < 2) continue;
      const names = ts.map((t) => String(t.name)).join(",");
      for (const t of ts) {
        report(
          `The Telemetries [${names}] in namespace "${shown(owner.namespace)}" select the same workload pod ` +
            `"${shown(owner.name)}", which can lead to undefined behavior (${owner.kind} ${fullName(owner)}).`,
          t.urn,
        );
      }
    }
    for (const [ns, ts] of bare) {
      if (ts.length < 2) continue;
      const names = ts.map((t) => String(t.name)).join(",");
      for (const t of ts) {
        report(
          `The Telemetries [${names}] in namespace "${ns}" have no workload selector, which can lead to undefined ` +
            "behavior: keep one namespace-wide (or, in the root namespace, mesh-wide) Telemetry.",
          t.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0140 IngressRouteRulesNotAffected
// ---------------------------------------------------------------------------------------------------------------

export const ist0140IngressRouteRulesNotAffected: StackValidationPolicy = {
  name: "ist0140-ingress-route-rules-not-affected",
  description:
    "A VirtualService bound to gateways that routes to a host without a subset, while another VirtualService for " +
    "that host splits it into subsets, is warned about: the subset rules do not apply to the gateway's requests " +
    "(istioctl analyze IST0140, analyzers/virtualservice/destinationhosts.go analyzeSubset; exact host strings, as there).",
  enforcementLevel: "advisory",
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

// ---------------------------------------------------------------------------------------------------------------
// IST0134 ServiceEntryAddressesRequired
// ---------------------------------------------------------------------------------------------------------------

/** Whether the mesh config of every istiod release auto-allocates ServiceEntry addresses (DNS capture + auto-allocate). */
function dnsAutoAllocated(resources: Parameters<typeof helmReleases>[0]): boolean | Unknown {
  let any = false;
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const md = stringMap(at(r.values, "meshConfig", "defaultConfig", "proxyMetadata"));
    if (md === UNKNOWN) return UNKNOWN;
    if (md.ISTIO_META_DNS_CAPTURE !== "true" || md.ISTIO_META_DNS_AUTO_ALLOCATE !== "true") return false;
    any = true;
  }
  return any;
}

export const ist0134ServiceEntryAddressesRequired: StackValidationPolicy = {
  name: "ist0134-serviceentry-addresses-required",
  description:
    "A ServiceEntry with TCP (or protocol-less) ports lists addresses unless the mesh auto-allocates them " +
    '(meshConfig.defaultConfig.proxyMetadata ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE "true"): ' +
    "otherwise its TCP ports share 0.0.0.0 listeners and traffic goes to the wrong place (istioctl analyze IST0134, " +
    "analyzers/serviceentry/protocoladdresses.go).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const auto = dnsAutoAllocated(args.resources);
    if (auto !== false) return;
    for (const se of istioObjects(kubeObjects(args.resources), "ServiceEntry")) {
      const addresses = list(at(se.spec, "addresses"));
      if (addresses === UNKNOWN || addresses.length > 0) continue;
      for (const p of knownItems(at(se.spec, "ports"))) {
        const protocol = str(at(p, "protocol"));
        if (protocol === UNKNOWN) continue;
        if (protocol === undefined || protocol === "" || protocol.toUpperCase() === "TCP") {
          report(
            "ServiceEntry addresses are required for this protocol (ServiceEntry " +
              `${fullName(se)}, port ${String(num(at(p, "number")) ?? "?")}): set spec.addresses, or name the protocol ` +
              "(HTTP, HTTPS, TLS...).",
            se.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0138 GatewayDuplicateCertificate
// ---------------------------------------------------------------------------------------------------------------

/** certificate.go haveSameCertificate: the same credentialName, or the same serverCertificate and privateKey files. */
function sameCertificate(a: Json, b: Json): boolean {
  const cred = (t: Json) => String(str(at(t, "credentialName")) ?? "");
  if (cred(a) !== "" && cred(b) !== "") return cred(a) === cred(b);
  if (cred(a) !== "" || cred(b) !== "") return false;
  const cert = (t: Json) => String(str(at(t, "serverCertificate")) ?? "");
  const key = (t: Json) => String(str(at(t, "privateKey")) ?? "");
  return cert(a) !== "" && cert(a) === cert(b) && key(a) !== "" && key(a) === key(b);
}

export const ist0138GatewayDuplicateCertificate: StackValidationPolicy = {
  name: "ist0138-gateway-duplicate-certificate",
  description:
    "Two Gateways on the same workload (one's selector a subset of the other's) do not serve the same certificate: " +
    "HTTP/2 clients reuse the connection for both and get 404s (istioctl analyze IST0138, " +
    "analyzers/gateway/certificate.go; PILOT_SCOPE_GATEWAY_TO_NAMESPACE off, as istiod's default).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const gateways = istioObjects(kubeObjects(args.resources), "Gateway");
    for (const g of gateways) {
      const sel = stringMap(at(g.spec, "selector"));
      const servers = list(at(g.spec, "servers"));
      if (sel === UNKNOWN || servers === UNKNOWN || hasUnknown(servers)) continue;
      for (const h of gateways) {
        if (h === g) continue;
        const hSel = stringMap(at(h.spec, "selector"));
        const hServers = list(at(h.spec, "servers"));
        if (hSel === UNKNOWN || hServers === UNKNOWN || hasUnknown(hServers)) continue;
        if (!Object.entries(sel).every(([k, v]) => hSel[k] === v)) continue;
        const duplicate = servers.some((a) =>
          hServers.some((b) => {
            const ta = at(a, "tls");
            const tb = at(b, "tls");
            return ta !== undefined && tb !== undefined && sameCertificate(ta, tb);
          }),
        );
        if (duplicate) {
          report(
            `Duplicate certificate in multiple gateways [${fullName(g)} ${fullName(h)}] may cause 404s if clients ` +
              "re-use HTTP2 connections: serve the hosts that share a certificate from one Gateway.",
            g.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0116 DeploymentAssociatedToMultipleServices / IST0137 DeploymentConflictingPorts
// ---------------------------------------------------------------------------------------------------------------

/**
 * util.DeploymentInMesh as analyze decides it: an istio-proxy container, else the pod label, else the pod annotation
 * sidecar.istio.io/inject ("true" means in), else the namespace's istio-injection=enabled (istio.io/rev is not read
 * there). UNKNOWN when it comes down to a namespace the stack does not declare in full.
 */
function deploymentInMesh(
  t: ReturnType<typeof podTemplates>[number],
  namespaces: Map<string, { labels: Record<string, string>; partial: boolean }>,
): boolean | Unknown {
  const containers = list(at(t.spec, "containers"));
  if (containers === UNKNOWN || t.labels === UNKNOWN || t.annotations === UNKNOWN || t.namespace === UNKNOWN)
    return UNKNOWN;
  if (containers.some((c) => str(at(c, "name")) === "istio-proxy" && (str(at(c, "image")) ?? "") !== "")) return true;
  const label = t.labels[SIDECAR_INJECT];
  if (label !== undefined) return label === "true";
  const annotation = t.annotations[SIDECAR_INJECT];
  if (annotation !== undefined) return annotation === "true";
  const ns = namespaces.get(t.namespace);
  if (!ns || ns.partial) return UNKNOWN;
  return ns.labels[INJECTION_LABEL] === "enabled";
}

export const ist0116DeploymentServicePorts: StackValidationPolicy = {
  name: "ist0116-ist0137-deployment-service-ports",
  description:
    "A meshed Deployment's Services do not use one port with different protocols (IST0116) nor one targetPort " +
    "behind different ports (IST0137): the sidecar cannot tell the traffic apart (istioctl analyze, " +
    'analyzers/deployment/services.go; "in the mesh" as util.DeploymentInMesh decides it, for the stack\'s Deployments ' +
    "and Services).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    const services = objects.filter((o) => o.group === "" && o.kind === "Service" && !o.isPatch);
    for (const d of objects) {
      if (d.kind !== "Deployment" || d.group !== "apps" || d.isPatch || d.labels === UNKNOWN) continue;
      if (d.labels["gateway.istio.io/managed"] === "istio.io-mesh-controller") continue; // waypoints
      for (const t of podTemplates(d)) {
        if (deploymentInMesh(t, namespaces) !== true) continue;
        const matching: { name: string; ports: Json[] }[] = [];
        let unknown = false;
        for (const svc of services) {
          if (svc.namespace !== t.namespace) continue;
          const sel = stringMap(at(svc.spec, "selector"));
          const ports = list(at(svc.spec, "ports"));
          if (sel === UNKNOWN || ports === UNKNOWN || hasUnknown(ports)) {
            unknown = true;
            continue;
          }
          if (Object.keys(sel).length === 0 || selects(sel, t.labels) !== true) continue;
          matching.push({ name: fullName(svc), ports });
        }
        if (unknown) continue;
        const protocols = new Map<number, Map<string, string[]>>();
        const targets = new Map<string, Map<number, string>>();
        for (const m of matching) {
          for (const p of m.ports) {
            const port = num(at(p, "port"));
            if (typeof port !== "number") continue;
            const protocol = String(str(at(p, "protocol")) || "TCP");
            const byProtocol = protocols.get(port) ?? new Map<string, string[]>();
            byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), m.name]);
            protocols.set(port, byProtocol);
            // TargetPort.String(): the number or the name; an unset or 0 targetPort means the port itself.
            const tp = at(p, "targetPort");
            const named = typeof tp === "string" && tp !== "" && tp !== "0" ? tp : undefined;
            const numbered = typeof tp === "number" && tp !== 0 ? String(tp) : undefined;
            const target = named ?? numbered ?? String(port);
            const byPort = targets.get(target) ?? new Map<number, string>();
            byPort.set(port, m.name);
            targets.set(target, byPort);
          }
        }
        for (const [port, byProtocol] of protocols) {
          if (byProtocol.size < 2) continue;
          const names = [...byProtocol.values()].flat().sort();
          report(
            `This deployment ${String(d.name)} is associated with multiple services using port ${port} but different ` +
              `protocols: [${names.join(" ")}] (Deployment ${fullName(d)}).`,
            d.urn,
          );
        }
        for (const [target, byPort] of targets) {
          if (byPort.size < 2) continue;
          const names = [...byPort.values()].sort();
          const ports = [...byPort.keys()].sort((a, b) => a - b);
          report(
            `This deployment ${String(d.name)} is associated with multiple services [${names.join(" ")}] using ` +
              `targetPort "${target}" but different ports: [${ports.join(" ")}] (Deployment ${fullName(d)}).`,
            d.urn,
          );
        }
      }
    }
  },
};

export const analyzePolicies = [
  ist0101ReferencedResourceNotFound,
  ist0102NamespaceNotInjected,
  ist0110ConflictingSidecars,
  ist0116DeploymentServicePorts,
  ist0123NamespaceMultipleInjectionLabels,
  ist0134ServiceEntryAddressesRequired,
  ist0138GatewayDuplicateCertificate,
  ist0140IngressRouteRulesNotAffected,
  ist0144InvalidApplicationUid,
  ist0146ImageAutoWithoutInjection,
  ist0157InvalidTelemetryProvider,
  ist0159ConflictingTelemetries,
  ist0162GatewayPortNotDefinedOnService,
  ist0109ConflictingMeshGatewayVirtualServiceHosts,
  virtualServiceGatewayHostUnique,
  virtualServiceRouteWeightsSumTo100,
  retryPerTryTimeoutWithinRouteTimeout,
  ist0112VirtualServiceDestinationPortSelectorRequired,
  ist0118PortNameIsNotUnderNamingConvention,
  ist0128NoServerCertificateVerification,
  ist0130VirtualServiceUnreachableRule,
  ist0132VirtualServiceHostNotFoundInGateway,
  ist0145ConflictingGateways,
  ist0149JwtClaimBasedRoutingWithoutRequestAuthn,
  ist0151EnvoyFilterPatchOperations,
  ist0165ReferencedInternalGateway,
  ist0166IneffectiveSelector,
  ist0167IneffectivePolicy,
];
