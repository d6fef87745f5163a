// Area "ingress" (components/ingress): `aks-mesh:staticIp`, `aks-mesh:ingressGateway` and `aks-mesh:ingress`, the
// public entry of the mesh: its IP, the gateway workload, the hosts and their routes.
import { z } from "zod";
import YAML from "yaml";
import type { ConfigArea, Parsed } from "./area";
import { httpPorts, HTTP_PROTOCOLS, type meshKeys, type ServiceDeclaration, unknownService } from "./mesh";
import type { observabilityKeys } from "./observability";
import { issuedSecrets } from "./security/certificates";
import type { securityKeys } from "./security";
import {
  azureName,
  cidr,
  dnsLabel,
  durationSeconds,
  hostName,
  ipv4,
  resourceGroupName,
  resources,
  whenFieldsValid,
} from "./primitives";

const PUBLIC_IP_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/([-\w.()]+)\/providers\/Microsoft\.Network\/publicIPAddresses\/([-\w.]+)$/;

const ROLE_ASSIGNMENT_ID =
  /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w.()]+)\/providers\/Microsoft\.Authorization\/roleAssignments\/([0-9a-fA-F-]{36})$/i;

/** Parses a resource-group role assignment id; undefined when it is not one. */
export function parseRoleAssignmentId(
  id: string,
): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const m = ROLE_ASSIGNMENT_ID.exec(id);
  return m ? { subscriptionId: m[1] as string, resourceGroup: m[2] as string, name: m[3] as string } : undefined;
}

/** Parses a public IP resource id into its resource group and name; undefined when it is not one. */
export function parsePublicIpId(id: string): { resourceGroup: string; name: string } | undefined {
  const m = PUBLIC_IP_ID.exec(id);
  return m ? { resourceGroup: m[1] as string, name: m[2] as string } : undefined;
}

export const staticIpSection = z
  .strictObject({
    name: azureName
      .optional()
      .describe(
        'Name of the public IP. Default "pip-<project>-<stack>-ingress"; taken from adoptResourceId when adopting.',
      ),
    resourceGroup: resourceGroupName
      .optional()
      .describe(
        "Resource group of the IP. Default: the cluster's node resource group, which AKS may use without extra rights.",
      ),
    grantNetworkContributor: z
      .boolean()
      .optional()
      .describe(
        "Give the cluster identity Network Contributor on the IP's resource group. Default: true when the IP is " +
          "outside the node resource group and not adopted, or when adoptRoleAssignment is set; false when adopting " +
          "an IP, whose load balancer already holds the grant (a second one fails with RoleAssignmentExists).",
      ),
    adoptRoleAssignment: z
      .strictObject({
        id: z
          .string()
          .refine((id) => parseRoleAssignmentId(id) !== undefined, {
            error: (issue) =>
              "must be a role assignment id: /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.Authorization/" +
              `roleAssignments/<guid> (got ${JSON.stringify(issue.input)})`,
          })
          .describe(
            'Its id: az role assignment list --assignee <cluster principal> --scope <IP resource group id> --role "Network Contributor" --query "[].id".',
          ),
        description: z
          .string()
          .optional()
          .describe("Its description, exactly as listed; omit when it has none (az role assignment create sets none)."),
        condition: z.string().optional().describe("Its condition, exactly as listed; omit when it has none."),
        conditionVersion: z.string().optional().describe('Its conditionVersion ("2.0") when it has a condition.'),
      })
      .optional()
      .describe(
        "The existing Network Contributor grant of the cluster identity on the IP's resource group, imported (Pulumi " +
          "import) instead of created. Every field must equal the live assignment's, or the import updates it.",
      ),
    zones: z
      .array(z.enum(["1", "2", "3"]))
      .default([])
      .describe("Availability zones; [] for none. Must match the existing IP when adopting."),
    tags: z
      .record(z.string(), z.string())
      .default({})
      .describe("Azure tags on the IP. Must equal the existing IP's tags when adopting, or the import replaces them."),
    idleTimeoutInMinutes: z
      .int()
      .min(4)
      .max(30)
      .default(4)
      .describe(
        "TCP idle timeout of the IP in minutes (Azure's default 4). Must equal the existing IP's " +
          "properties.idleTimeoutInMinutes when adopting.",
      ),
    adoptResourceId: z
      .string()
      .refine((id) => parsePublicIpId(id) !== undefined, {
        error: (issue) =>
          "must be a public IP resource id: /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.Network/" +
          `publicIPAddresses/<name> (got ${JSON.stringify(issue.input)})`,
      })
      .optional()
      .describe("Azure resource id of an existing IP to adopt (Pulumi import) instead of creating one."),
    expectedAddress: ipv4
      .optional()
      .describe("The address the IP must have (DNS points at it); a mismatch after import fails the update."),
    dns: z
      .strictObject({
        zoneName: hostName.describe("The Azure DNS zone."),
        resourceGroup: resourceGroupName.describe("Resource group of the zone."),
        ttl: z.int().min(1).max(86400).default(300).describe("Record TTL in seconds."),
      })
      .optional()
      .describe("Azure DNS zone to publish an A record for every mesh host in; omit to manage DNS elsewhere."),
  })
  .superRefine((s, ctx) => {
    const grant = s.adoptRoleAssignment ? parseRoleAssignmentId(s.adoptRoleAssignment.id) : undefined;
    if (s.adoptRoleAssignment && s.grantNetworkContributor === false) {
      ctx.addIssue({
        code: "custom",
        path: ["grantNetworkContributor"],
        message: "is false but adoptRoleAssignment names a grant to import; remove one of them",
      });
    }
    const adopted = s.adoptResourceId ? parsePublicIpId(s.adoptResourceId) : undefined;
    const ipGroup = adopted?.resourceGroup ?? s.resourceGroup;
    if (grant && !ipGroup) {
      ctx.addIssue({
        code: "custom",
        path: ["adoptRoleAssignment", "id"],
        message: "needs the IP's resource group (resourceGroup or adoptResourceId): the grant is on that group",
      });
    }
    if (grant && ipGroup && grant.resourceGroup.toLowerCase() !== ipGroup.toLowerCase()) {
      ctx.addIssue({
        code: "custom",
        path: ["adoptRoleAssignment", "id"],
        message: `is an assignment on resource group "${grant.resourceGroup}", but the IP is in "${ipGroup}"`,
      });
    }
    if (!adopted) return;
    if (s.name !== undefined && s.name !== adopted.name) {
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message: `is "${s.name}" but adoptResourceId names "${adopted.name}"`,
      });
    }
    if (s.resourceGroup !== undefined && s.resourceGroup.toLowerCase() !== adopted.resourceGroup.toLowerCase()) {
      ctx.addIssue({
        code: "custom",
        path: ["resourceGroup"],
        message: `is "${s.resourceGroup}" but adoptResourceId is in "${adopted.resourceGroup}"`,
      });
    }
  }, whenFieldsValid)
  .describe("The Standard static public IP the ingress gateway's load balancer answers on (always protected).");

export const ingressGatewaySection = z
  .strictObject({
    namespace: dnsLabel
      .default("istio-ingress")
      .describe("Namespace of the gateway workload (created unless it is istio-system)."),
    name: dnsLabel
      .default("istio-ingressgateway")
      .describe(
        "Name of its Deployment, Service and ServiceAccount; pods carry app=<name>, istio=<name without istio->.",
      ),
    revision: dnsLabel
      .optional()
      .describe(
        "istio.io/rev of the gateway's pods: a revision tag or installed revision, to move the gateway alone to a " +
          "canary (then kubectl rollout restart it). Unset: istio.injectionTag, else the stable revision.",
      ),
    autoscaling: z
      .strictObject({
        minReplicas: z.int().min(1).default(1).describe("HorizontalPodAutoscaler minimum."),
        maxReplicas: z.int().min(1).default(5).describe("HorizontalPodAutoscaler maximum."),
        targetCPUUtilizationPercentage: z.int().min(1).max(100).default(80).describe("CPU target of the autoscaler."),
      })
      .prefault({})
      .describe("Replica bounds; the HPA owns the replica count."),
    podDisruptionBudget: z
      .strictObject({ minAvailable: z.int().min(1).describe("Pods kept through voluntary disruptions.") })
      .optional()
      .describe("PodDisruptionBudget; omit for none. minAvailable must stay below autoscaling.minReplicas."),
    resources: resources
      .default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } })
      .describe("Resources of the gateway's Envoy."),
    externalTrafficPolicy: z
      .enum(["Local", "Cluster"])
      .default("Local")
      .describe("Service externalTrafficPolicy; Local keeps client source IPs and skips a second hop."),
    loadBalancerSourceRanges: z
      .array(cidr)
      .default([])
      .describe("Client CIDRs the load balancer admits; [] admits all."),
  })
  .superRefine((g, ctx) => {
    if (g.autoscaling.maxReplicas < g.autoscaling.minReplicas) {
      ctx.addIssue({ code: "custom", path: ["autoscaling", "maxReplicas"], message: "must be at least minReplicas" });
    }
    if (g.podDisruptionBudget && g.podDisruptionBudget.minAvailable >= g.autoscaling.minReplicas) {
      ctx.addIssue({
        code: "custom",
        path: ["podDisruptionBudget", "minAvailable"],
        message: `must be lower than autoscaling.minReplicas (${g.autoscaling.minReplicas}), or a node drain can never evict a gateway pod`,
      });
    }
  }, whenFieldsValid)
  .describe("The ingress gateway workload, deployed as Istio documents manual gateway deployment.");

const path = z.string().regex(/^\/[^\s]*$/, 'must be a path starting with "/"');

const route = z.strictObject({
  prefix: path.describe("URI prefix matched (what the NGINX Ingress path was)."),
  service: dnsLabel.describe(
    "Service of aks-mesh:services that receives the traffic (its namespace comes from there).",
  ),
  port: z
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe("Service port; default the service's only http, http2 or grpc port (required when it has several)."),
  rewrite: path.optional().describe("Replace the matched prefix with this path before forwarding."),
  timeout: durationSeconds.optional().describe('Route timeout, e.g. "30s".'),
  delegate: z
    .boolean()
    .default(false)
    .describe("Hand this path's routing to a VirtualService in the service's namespace (Istio delegate)."),
});
type Route = z.infer<typeof route>;

/** A route with its service resolved through the graph: what components/ingress renders. */
export type ResolvedRoute = Route & { readonly namespace: string; readonly port: number };

export const hostEntry = z.strictObject({
  host: hostName.describe("Fully qualified host name."),
  tls: z
    .strictObject({
      credentialName: dnsLabel.describe("Kubernetes TLS Secret in the gateway namespace."),
      httpsRedirect: z.boolean().default(true).describe("Redirect HTTP to HTTPS."),
    })
    .optional()
    .describe("Serve HTTPS with this certificate; omit for HTTP only."),
  routes: z.array(route).min(1, "must list at least one route").describe("Path prefixes and the Service each goes to."),
});
/** A host with its routes resolved through the graph. */
export type HostEntry = Omit<z.infer<typeof hostEntry>, "routes"> & { routes: ResolvedRoute[] };

export const ingressSection = z
  .strictObject({
    gatewayName: dnsLabel.default("public-gateway").describe("Name of the Istio Gateway object every host binds to."),
    hosts: z.array(hostEntry).default([]).describe("Application hosts and their routes."),
    tlsSecrets: z
      .record(dnsLabel, z.array(dnsLabel))
      .default({})
      .describe(
        "Where each TLS Secret a host names (tls.credentialName) exists: Secret name -> namespaces " +
          "(kubectl get secrets -A --field-selector type=kubernetes.io/tls). The gateway reads credentialName in its " +
          "own namespace (ingressGateway.namespace), so every Secret in use must be listed there; the config is " +
          "refused otherwise.",
      ),
  })
  .superRefine((ing, ctx) => {
    const seen = new Set<string>();
    ing.hosts.forEach((h, i) => {
      if (seen.has(h.host))
        ctx.addIssue({ code: "custom", path: ["hosts", i, "host"], message: `"${h.host}" is listed twice` });
      seen.add(h.host);
      const prefixes = new Set<string>();
      h.routes.forEach((r, j) => {
        if (prefixes.has(r.prefix)) {
          ctx.addIssue({
            code: "custom",
            path: ["hosts", i, "routes", j, "prefix"],
            message: `"${r.prefix}" is listed twice`,
          });
        }
        prefixes.add(r.prefix);
      });
    });
  }, whenFieldsValid)
  .describe("Application hosts and routes on the public Gateway (what the NGINX Ingress rules used to do).");

export const ingressKeys = {
  staticIp: staticIpSection.prefault({}),
  ingressGateway: ingressGatewaySection.prefault({}),
  ingress: ingressSection.prefault({}),
};

type IngressParsed = Parsed<typeof ingressKeys>;
/**
 * What the area's rules read: its keys, the services its routes name, and the monitoring host it serves beside the
 * application hosts.
 */
type IngressInput = IngressParsed &
  Parsed<typeof observabilityKeys> &
  Pick<Parsed<typeof meshKeys>, "services"> &
  Parsed<typeof securityKeys>;

/** The static IP with its derived values. */
export type StaticIpConfig = IngressParsed["staticIp"] & {
  /** Name of the IP (configured, derived from the adopted id, or the default). */
  readonly name: string;
  /** Whether the cluster identity gets Network Contributor on the IP's resource group. */
  readonly grantNetworkContributor: boolean;
  /** The adopted IP's resource group and name, when adopting. */
  readonly adopt?: { readonly resourceId: string; readonly resourceGroup: string; readonly name: string };
};

export const ingressArea: ConfigArea<
  typeof ingressKeys,
  IngressInput,
  {
    staticIp: StaticIpConfig;
    ingressGateway: IngressParsed["ingressGateway"];
    ingress: Omit<IngressParsed["ingress"], "hosts"> & { hosts: HostEntry[] };
  }
> = {
  keys: ingressKeys,
  refuseRetired: (values, key) => inlineRoutes(values, key),
  crossChecks: (root, { key }) => [
    ...dnsZoneChecks(root, key),
    ...certificateChecks(root, key),
    ...routeChecks(root, key),
    ...delegateChecks(root, key),
  ],
  resolve: (root, ctx) => {
    const ip = root.staticIp;
    const adopted = ip.adoptResourceId ? parsePublicIpId(ip.adoptResourceId) : undefined;
    return {
      staticIp: {
        ...ip,
        name: adopted?.name ?? ip.name ?? `pip-${ctx.project}-${ctx.stack}-ingress`,
        resourceGroup: adopted?.resourceGroup ?? ip.resourceGroup,
        // An adopted IP's load balancer already holds the grant: creating a second one fails with RoleAssignmentExists.
        grantNetworkContributor:
          ip.grantNetworkContributor ??
          (ip.adoptRoleAssignment !== undefined || (adopted === undefined && ip.resourceGroup !== undefined)),
        ...(adopted && ip.adoptResourceId ? { adopt: { resourceId: ip.adoptResourceId, ...adopted } } : {}),
      },
      ingressGateway: root.ingressGateway,
      ingress: {
        ...root.ingress,
        hosts: root.ingress.hosts.map((h) => ({ ...h, routes: h.routes.map((r) => resolveRoute(r, root.services)) })),
      },
    };
  },
};

/** A route of a config that passed routeChecks: its service's namespace, and the port (given, or the only HTTP one). */
function resolveRoute(r: Route, services: Readonly<Record<string, ServiceDeclaration>>): ResolvedRoute {
  const service = services[r.service];
  const port = r.port ?? (service ? httpPorts(service)[0] : undefined);
  if (!service || port === undefined) throw new Error(`route to "${r.service}" was not checked`); // routeChecks refused it
  return { ...r, namespace: service.namespace, port };
}

/**
 * A service has one delegate VirtualService (components/ingress/host-routes.ts), whose route has no match of its own
 * and so serves every path delegated to it: all of them must go to the same port.
 */
function delegateChecks(root: IngressInput, k: (path: string) => string): string[] {
  const first = new Map<string, { port: number; at: string }>();
  return root.ingress.hosts.flatMap((h, i) =>
    h.routes.flatMap((r, j) => {
      const service = root.services[r.service];
      if (!r.delegate || !service) return [];
      const port = r.port ?? httpPorts(service)[0];
      if (port === undefined) return [];
      const at = `ingress.hosts[${i}].routes[${j}]`;
      const seen = first.get(r.service);
      if (!seen) {
        first.set(r.service, { port, at });
        return [];
      }
      if (seen.port === port) return [];
      return [
        `${k(`${at}.port`)}: service "${r.service}" is delegated at port ${seen.port} already (${k(seen.at)}); its ` +
          "delegate VirtualService routes every delegated path to one port, so delegate this path to the same port " +
          "or route it without delegate",
      ];
    }),
  );
}

/**
 * Every route names a service of the graph, and a port the gateway's HTTP route can send to: the one given, which
 * must be an http, http2 or grpc port of the service, or the service's only such port.
 */
function routeChecks(root: IngressInput, k: (path: string) => string): string[] {
  const names = Object.keys(root.services);
  return root.ingress.hosts.flatMap((h, i) =>
    h.routes.flatMap((r, j) => {
      const at = (field: string) => k(`ingress.hosts[${i}].routes[${j}].${field}`);
      const service = root.services[r.service];
      if (!service) return [`${at("service")}: ${unknownService(r.service, names, k)}`];
      const http = httpPorts(service);
      const declared = k(`services.${r.service}.ports`);
      if (r.port !== undefined) {
        const p = service.ports.find((sp) => sp.port === r.port);
        if (!p) {
          return [
            `${at("port")}: ${r.port} is not a port of service "${r.service}" (${declared}: ` +
              `${service.ports.map((sp) => sp.port).join(", ")})`,
          ];
        }
        if (!HTTP_PROTOCOLS.includes(p.protocol)) {
          return [
            `${at("port")}: port ${r.port} of service "${r.service}" is ${p.protocol} (${declared}); the gateway's ` +
              `routes are HTTP: route to an ${HTTP_PROTOCOLS.join(", ")} port`,
          ];
        }
        return [];
      }
      if (http.length === 0) {
        return [
          `${at("service")}: service "${r.service}" has no ${HTTP_PROTOCOLS.join(", ")} port (${declared}); the ` +
            "gateway's routes are HTTP",
        ];
      }
      if (http.length > 1) {
        return [
          `${at("port")}: is required: service "${r.service}" has several HTTP ports (${http.join(", ")}, ${declared}); ` +
            "name the one this path goes to",
        ];
      }
      return [];
    }),
  );
}

/**
 * The route form before the service graph: `namespace` and `port` on the route. Refused with the exact
 * aks-mesh:services entry to add (every route of the old form was an HTTP route, so its port is http), and the key
 * taken out so the schema does not report it again.
 */
function inlineRoutes(values: Record<string, unknown>, k: (path: string) => string): string[] {
  const hosts = (values.ingress as { hosts?: unknown } | undefined)?.hosts;
  if (!Array.isArray(hosts)) return [];
  const declared = isRecord(values.services) ? values.services : {};
  const old: { path: string; route: Record<string, unknown> }[] = [];
  hosts.forEach((h: unknown, i) => {
    const routes = isRecord(h) ? h.routes : undefined;
    if (!Array.isArray(routes)) return;
    routes.forEach((r: unknown, j) => {
      if (isRecord(r) && "namespace" in r) old.push({ path: `ingress.hosts[${i}].routes[${j}]`, route: r });
    });
  });
  // The entry of each service, from every old route that names it (a service routed on two ports lists both).
  const entries = new Map<string, { namespace: unknown; ports: { port: unknown; protocol: "http" }[] }>();
  for (const { route } of old) {
    const name = String(route.service);
    const entry = entries.get(name) ?? { namespace: route.namespace, ports: [] };
    if (route.port !== undefined && !entry.ports.some((p) => p.port === route.port)) {
      entry.ports.push({ port: route.port, protocol: "http" });
    }
    entries.set(name, entry);
  }
  return old.map(({ path, route }) => {
    const name = String(route.service);
    delete route.namespace;
    const instead =
      name in declared
        ? `${k("services")} already declares "${name}": remove namespace from this route.`
        : `Remove namespace from this route and add to the stack file:\n` +
          YAML.stringify({ [k("services")]: { [name]: entries.get(name) } })
            .trimEnd()
            .replace(/^/gm, "      ");
    return (
      `${k(`${path}.namespace`)}: a route names its service only; the service's namespace and ports are declared ` +
      `once, in ${k("services")}, and the routes, callers and Sidecars are derived from there. ${instead}`
    );
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every application host must be in the DNS zone the stack publishes records in. */
function dnsZoneChecks(root: IngressInput, k: (path: string) => string): string[] {
  const zone = root.staticIp.dns?.zoneName;
  if (!zone) return [];
  return root.ingress.hosts.flatMap((h, i) =>
    h.host !== zone && !h.host.endsWith(`.${zone}`)
      ? [
          `${k(`ingress.hosts[${i}].host`)}: "${h.host}" is not in the DNS zone "${zone}" (${k("staticIp.dns.zoneName")}); ` +
            "remove staticIp.dns or serve only hosts of that zone",
        ]
      : [],
  );
}

/**
 * Every certificate a host serves must already be in the gateway's namespace: Istio resolves a Gateway's
 * credentialName in the namespace of the gateway workload (istio.io analyzer IST0161 InvalidGatewayCredential; 1.23
 * docs/ops/integrations/certmanager: the Certificate goes "in the same namespace as the istio-ingressgateway
 * deployment"), so HTTPS would fail on the first request otherwise. The program never
 * copies a certificate itself (the private key would land in the state and miss every renewal): the stack file states
 * where each Secret is, and this refuses a gateway namespace that lacks one. A Secret cert-manager issues
 * (security.certificates.issue) is created there by its Certificate, and is not checked here.
 */
function certificateChecks(root: IngressInput, k: (path: string) => string): string[] {
  const gatewayNs = root.ingressGateway.namespace;
  const issued = issuedSecrets(root);
  const uses: [string, string][] = root.ingress.hosts.flatMap((h, i): [string, string][] =>
    h.tls ? [[`ingress.hosts[${i}].tls.credentialName`, h.tls.credentialName]] : [],
  );
  const monitoringTls = root.observability?.enabled ? root.observability.tls : undefined;
  if (monitoringTls) uses.push(["observability.tls.credentialName", monitoringTls.credentialName]);
  return uses.flatMap(([key, secret]) => {
    if (issued.has(secret)) return [];
    const present = root.ingress.tlsSecrets[secret] ?? [];
    if (present.includes(gatewayNs)) return [];
    return [
      `${k(key)}: the gateway runs in namespace "${gatewayNs}" (${k("ingressGateway.namespace")}) and reads TLS ` +
        `Secret "${secret}" there, but ${k(`ingress.tlsSecrets.${secret}`)} ` +
        (present.length > 0 ? `lists only ${present.map((n) => `"${n}"`).join(", ")}` : "does not list it anywhere") +
        `. Put the certificate in "${gatewayNs}" first (README, adopting production: certificates) and add ` +
        `"${gatewayNs}" to that list, run the gateway where the Secret is, or let cert-manager issue it ` +
        `(${k("security.certificates.issue")}).`,
    ];
  });
}
