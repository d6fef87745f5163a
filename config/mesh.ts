// Area "mesh" (components/mesh): the application side of the mesh. `aks-mesh:services` is the service graph, the one
// source of truth every later area derives its objects from (who may call whom, what is exposed where, what leaves the
// mesh); `aks-mesh:meshNamespaces` enrols namespaces, `aks-mesh:outsideMeshNamespaces` declares the ones that stay
// out, `aks-mesh:sidecars` scopes each namespace's proxies to what the graph says it calls.
import { z } from "zod";
import type { ConfigArea, Parsed } from "./area";
import type { ingressKeys } from "./ingress";
import type { observabilityKeys } from "./observability";
import { dnsLabel, hostName, whenFieldsValid } from "./primitives";
import { closest } from "./suggest";

export const meshNamespace = z.strictObject({
  name: dnsLabel.describe("Namespace name."),
  existing: z
    .boolean()
    .default(true)
    .describe(
      "true: the namespace exists and only gets the label (server-side apply patch); false: the stack creates it.",
    ),
  revision: dnsLabel
    .optional()
    .describe(
      "Its istio.io/rev: a revision tag or installed revision, to move this namespace alone to a canary (then " +
        "restart its deployments). Unset: istio.injectionTag, else the stable revision.",
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
    "Namespaces that stay outside the mesh on purpose (no sidecars), each with its reason. Services may live in them, " +
      "and the injection policies leave them alone; a service or caller namespace in neither list is refused.",
  );

/**
 * Istio's protocol selection names (istio.io docs ops/configuration/traffic-management/protocol-selection): what the
 * proxies treat a port as. http, http2 and grpc ports carry HTTP routes; tcp, tls and https are routed as TCP.
 */
export const PROTOCOLS = ["http", "http2", "grpc", "tcp", "tls", "https"] as const;
export type Protocol = (typeof PROTOCOLS)[number];
/** The protocols a VirtualService `http` route (the ingress gateway's routes) can send to. */
export const HTTP_PROTOCOLS: readonly Protocol[] = ["http", "http2", "grpc"];

const port = z.int().min(1).max(65535);

/** A Kubernetes label value (the pods' `version` label): 63 characters, alphanumeric at both ends. */
const labelValue = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    "must be a label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
  );

/** Issues for the entries of a list that repeat an earlier one, by `id`. */
function refuseRepeats<T>(
  list: readonly T[],
  id: (item: T) => string,
  path: (i: number) => PropertyKey[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const key = id(item);
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: path(i), message: `"${key}" is listed twice` });
    seen.add(key);
  });
}

export const serviceDeclaration = z
  .strictObject({
    namespace: dnsLabel.describe(
      "Namespace of the Kubernetes Service (the map key is its name). Must be in meshNamespaces or outsideMeshNamespaces.",
    ),
    ports: z
      .array(
        z.strictObject({
          port: port.describe("Service port."),
          targetPort: port
            .optional()
            .describe(
              "Container port the Service sends to (its targetPort), when it differs from port: NetworkPolicies match " +
                "the port on the pod, which the sidecar's interception does not change (default: port).",
            ),
          protocol: z
            .enum(PROTOCOLS)
            .describe(
              "How Istio treats the port (protocol selection): http, http2 or grpc carry the gateway's HTTP routes; tcp, tls, https do not.",
            ),
        }),
      )
      .min(1, "must list at least one port")
      .describe("The Service's ports and their protocols."),
    replicas: z
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe("Pods you expect it to run (footprint report; default: an estimate of 2)."),
    serviceAccount: dnsLabel
      .optional()
      .describe(
        "Kubernetes ServiceAccount its pods run as: their mesh identity, cluster.local/ns/<namespace>/sa/<serviceAccount>, " +
          "which authorization policies name as a caller. Default: the service's name (set it when the Deployment uses another).",
      ),
    podLabels: z
      .record(z.string().min(1), labelValue)
      .refine((labels) => Object.keys(labels).length > 0, "must name at least one label (none would select every pod)")
      .optional()
      .describe(
        "Labels that select its pods (the Service's spec.selector); the security area's policies select its workload " +
          "by them. Default: app: <name>, Istio's recommended app label.",
      ),
    versions: z
      .array(labelValue)
      .default([])
      .describe("Values of the pods' `version` label; later areas make them subsets (canaries, weighted routes)."),
    callers: z
      .strictObject({
        services: z.array(dnsLabel).default([]).describe("Services of this graph that call it."),
        namespaces: z
          .array(dnsLabel)
          .default([])
          .describe("Namespaces any workload of which may call it (each in meshNamespaces or outsideMeshNamespaces)."),
        monitoring: z
          .boolean()
          .default(true)
          .describe("Prometheus and Kiali of the observability namespace may reach it (metrics scraping)."),
      })
      .prefault({})
      .describe(
        "Who may call it. The ingress gateway is a caller of every service a route of ingress.hosts names; it is not listed here.",
      ),
    external: z
      .array(
        z.strictObject({
          host: hostName.describe("Host outside the mesh, e.g. login.example.com."),
          port: port.default(443).describe("Its port."),
          protocol: z.enum(PROTOCOLS).default("tls").describe("Its protocol (tls: HTTPS the application originates)."),
        }),
      )
      .default([])
      .describe("What it calls outside the mesh (later: egress ServiceEntries)."),
  })
  .superRefine((s, ctx) => {
    refuseRepeats(
      s.ports,
      (p) => String(p.port),
      (i) => ["ports", i, "port"],
      ctx,
    );
    refuseRepeats(
      s.versions,
      (v) => v,
      (i) => ["versions", i],
      ctx,
    );
    refuseRepeats(
      s.callers.services,
      (c) => c,
      (i) => ["callers", "services", i],
      ctx,
    );
    refuseRepeats(
      s.callers.namespaces,
      (c) => c,
      (i) => ["callers", "namespaces", i],
      ctx,
    );
    refuseRepeats(
      s.external,
      (e) => `${e.host}:${e.port}`,
      (i) => ["external", i, "host"],
      ctx,
    );
  }, whenFieldsValid);
export type ServiceDeclaration = z.infer<typeof serviceDeclaration>;

export const servicesSection = z
  .record(dnsLabel, serviceDeclaration)
  .describe(
    "The service graph: each application Service by name (unique across the graph), its namespace, ports, versions, " +
      "callers and external hosts. Routes of ingress.hosts name these services; where each is exposed is derived from them.",
  );

export const sidecarsSection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "One Sidecar named default per application namespace, scoping its proxies' configuration to what the graph " +
          "says the namespace calls, the control plane and the telemetry back ends (README, rollback: set false).",
      ),
  })
  .describe("Istio Sidecar resources: proxy memory and push cost that stay flat as the mesh grows.");

export const meshKeys = {
  services: servicesSection.default({}),
  meshNamespaces: meshNamespacesSection.default([]),
  outsideMeshNamespaces: outsideMeshNamespacesSection.default([]),
  sidecars: sidecarsSection.prefault({}),
};

type MeshParsed = Parsed<typeof meshKeys>;
/** What the graph is resolved from: the services, the routes that expose them, the monitoring namespace. */
type MeshInput = MeshParsed &
  Pick<Parsed<typeof ingressKeys>, "ingressGateway" | "ingress"> &
  Parsed<typeof observabilityKeys>;

export type ExternalHost = ServiceDeclaration["external"][number];
export type ServicePort = ServiceDeclaration["ports"][number];

/** Who may call a service or a namespace's services. */
export interface Callers {
  /** Services of the graph. */
  readonly services: readonly string[];
  /** Namespaces (any workload in them). */
  readonly namespaces: readonly string[];
  /** The ingress gateway: true when a route of ingress.hosts names the service. */
  readonly ingress: boolean;
  /** Prometheus and Kiali of the observability namespace (when the layer is enabled). */
  readonly monitoring: boolean;
}

/** One service of the resolved graph. */
export interface GraphService {
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  readonly versions: readonly string[];
  /** ServiceAccount of its pods (services.<name>.serviceAccount, default the name): its mesh identity. */
  readonly serviceAccount: string;
  /** Labels of its pods (services.<name>.podLabels, default app: <name>): what workload selectors match. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Pods it is expected to run, when the stack declares it (services.<name>.replicas). */
  readonly replicas?: number;
  readonly callers: Callers;
  /** The services it may call: those that list it, or its namespace, among their callers. */
  readonly calls: readonly string[];
  readonly external: readonly ExternalHost[];
  /** Where it is public: host and path prefix of every route of ingress.hosts that names it. */
  readonly exposedAt: readonly { readonly host: string; readonly prefix: string }[];
}

/** One namespace of the resolved graph: one holding services, or named as a caller. */
export interface GraphNamespace {
  readonly name: string;
  /** Enrolled in meshNamespaces (its pods get sidecars), as opposed to declared in outsideMeshNamespaces. */
  readonly inMesh: boolean;
  /** The services it holds. */
  readonly services: readonly string[];
  /** The services any of its workloads may call. */
  readonly calls: readonly string[];
  /** Who may call its services (the union over them). */
  readonly callers: Callers;
  /** What its services call outside the mesh. */
  readonly external: readonly ExternalHost[];
  /** Where its services are public. */
  readonly exposedAt: readonly { readonly host: string; readonly prefix: string }[];
}

/** The resolved service graph (config mesh.graph): every later area derives its objects from it. */
export interface ServiceGraph {
  /** By service name, in the order the stack file lists them. */
  readonly services: Readonly<Record<string, GraphService>>;
  /** By namespace name, sorted. */
  readonly namespaces: Readonly<Record<string, GraphNamespace>>;
  /** Namespace of the ingress gateway, the caller of every exposed service. */
  readonly gatewayNamespace: string;
  /** Namespace of Prometheus and Kiali; undefined when the observability layer is off. */
  readonly monitoringNamespace?: string;
}

/** The ports on a service's pods (targetPort, else port): what a NetworkPolicy of its pods matches. */
export function podPorts(service: { ports: readonly ServicePort[] }): number[] {
  return [...new Set(service.ports.map((p) => p.targetPort ?? p.port))];
}

/** The HTTP ports of a service: the ones the gateway's routes can send to. */
export function httpPorts(service: { ports: readonly ServicePort[] }): number[] {
  return service.ports.filter((p) => HTTP_PROTOCOLS.includes(p.protocol)).map((p) => p.port);
}

/** Resolves the graph of a config that passed the cross-checks. Pure: the plan's mesh.mmd and the bench call it. */
export function resolveGraph(root: MeshInput): ServiceGraph {
  const monitoringNamespace = root.observability?.enabled ? root.observability.namespace : undefined;
  const declared = Object.entries(root.services);
  const exposedAt = new Map<string, { host: string; prefix: string }[]>();
  for (const h of root.ingress.hosts) {
    for (const r of h.routes)
      exposedAt.set(r.service, [...(exposedAt.get(r.service) ?? []), { host: h.host, prefix: r.prefix }]);
  }
  const enrolled = new Set(root.meshNamespaces.map((n) => n.name));

  const services: Record<string, GraphService> = {};
  for (const [name, s] of declared) {
    const calls = declared
      .filter(([, callee]) => callee.callers.services.includes(name) || callee.callers.namespaces.includes(s.namespace))
      .map(([callee]) => callee);
    services[name] = {
      name,
      namespace: s.namespace,
      ports: s.ports,
      versions: s.versions,
      serviceAccount: s.serviceAccount ?? name,
      podLabels: s.podLabels ?? { app: name },
      ...(s.replicas !== undefined ? { replicas: s.replicas } : {}),
      callers: {
        services: s.callers.services,
        namespaces: s.callers.namespaces,
        ingress: exposedAt.has(name),
        monitoring: s.callers.monitoring && monitoringNamespace !== undefined,
      },
      calls,
      external: s.external,
      exposedAt: exposedAt.get(name) ?? [],
    };
  }

  const names = [...new Set(declared.flatMap(([, s]) => [s.namespace, ...s.callers.namespaces]))].sort();
  const namespaces: Record<string, GraphNamespace> = {};
  for (const ns of names) {
    const own = Object.values(services).filter((s) => s.namespace === ns);
    const calls = declared
      .filter(
        ([, callee]) =>
          callee.callers.namespaces.includes(ns) || own.some((s) => callee.callers.services.includes(s.name)),
      )
      .map(([callee]) => callee);
    namespaces[ns] = {
      name: ns,
      inMesh: enrolled.has(ns),
      services: own.map((s) => s.name),
      calls,
      callers: {
        services: unique(own.flatMap((s) => s.callers.services)),
        namespaces: unique(own.flatMap((s) => s.callers.namespaces)),
        ingress: own.some((s) => s.callers.ingress),
        monitoring: own.some((s) => s.callers.monitoring),
      },
      external: uniqueBy(
        own.flatMap((s) => s.external),
        (e) => `${e.host}:${e.port}`,
      ),
      exposedAt: own.flatMap((s) => s.exposedAt),
    };
  }
  return {
    services,
    namespaces,
    gatewayNamespace: root.ingressGateway.namespace,
    ...(monitoringNamespace ? { monitoringNamespace } : {}),
  };
}

function unique<T>(list: readonly T[]): T[] {
  return [...new Set(list)];
}

function uniqueBy<T>(list: readonly T[], id: (item: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((item) => !seen.has(id(item)) && seen.add(id(item)));
}

/** The mesh area's part of the validated config. */
export interface MeshAreaConfig {
  readonly meshNamespaces: MeshParsed["meshNamespaces"];
  readonly outsideMeshNamespaces: MeshParsed["outsideMeshNamespaces"];
  readonly mesh: {
    /** The resolved service graph (aks-mesh:services with the routes and the monitoring namespace). */
    readonly graph: ServiceGraph;
    /** aks-mesh:sidecars. */
    readonly sidecars: MeshParsed["sidecars"];
  };
}

export const meshArea: ConfigArea<typeof meshKeys, MeshInput, MeshAreaConfig> = {
  keys: meshKeys,
  crossChecks: (root, { key }) => [...enrolmentChecks(root, key), ...graphChecks(root, key)],
  resolve: (root) => ({
    meshNamespaces: root.meshNamespaces,
    outsideMeshNamespaces: root.outsideMeshNamespaces,
    mesh: { graph: resolveGraph(root), sidecars: root.sidecars },
  }),
};

function enrolmentChecks(root: MeshInput, k: (path: string) => string): string[] {
  return root.meshNamespaces.flatMap((ns, i) =>
    ns.name === root.ingressGateway.namespace
      ? [
          `${k(`meshNamespaces[${i}].name`)}: "${ns.name}" is the ingress gateway namespace (${k("ingressGateway.namespace")}); ` +
            "the gateway is injected by its own template and must not be listed",
        ]
      : [],
  );
}

/**
 * Every name a service declaration uses must resolve: caller services are services of the graph, and every namespace
 * (the service's own, its caller namespaces) says whether its pods have sidecars; an undeclared one is usually a
 * forgotten enrolment.
 */
function graphChecks(root: MeshInput, k: (path: string) => string): string[] {
  const problems: string[] = [];
  const enrolled = new Set(root.meshNamespaces.map((n) => n.name));
  const outside = new Set(root.outsideMeshNamespaces.map((n) => n.name));
  const names = Object.keys(root.services);
  const undeclared = (path: string, ns: string) =>
    enrolled.has(ns) || outside.has(ns)
      ? []
      : [
          `${k(path)}: "${ns}" is neither enrolled in the mesh (${k("meshNamespaces")}) nor declared outside it ` +
            `(${k("outsideMeshNamespaces")}); add it to one of them.`,
        ];
  for (const [name, s] of Object.entries(root.services)) {
    problems.push(...undeclared(`services.${name}.namespace`, s.namespace));
    s.callers.namespaces.forEach((ns, i) =>
      problems.push(...undeclared(`services.${name}.callers.namespaces[${i}]`, ns)),
    );
    s.callers.services.forEach((caller, i) => {
      if (names.includes(caller)) return;
      problems.push(`${k(`services.${name}.callers.services[${i}]`)}: ${unknownService(caller, names, k)}`);
    });
  }
  return problems;
}

/** `"<name>" is not a service of aks-mesh:services`, with the closest name when it looks like a typo. */
export function unknownService(name: string, known: readonly string[], k: (path: string) => string): string {
  const hint = closest(name, known);
  if (hint) return `"${name}" is not a service of ${k("services")}; did you mean "${hint}"?`;
  const declared = known.length > 0 ? ` (it declares ${known.map((n) => `"${n}"`).join(", ")})` : "";
  return `"${name}" is not a service of ${k("services")}${declared}: declare it there, with its namespace and ports`;
}
