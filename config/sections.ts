// One schema per config section (a top-level `aks-mesh:<section>` key of Pulumi.<stack>.yaml). Every field carries its
// meaning (`.describe`) and default here, and only here: components receive the parsed values and never read
// pulumi.Config, and the README's configuration reference is generated from these schemas (npm run docs:config).
// Later areas (security, traffic, delivery, ops) add one section each.
import { z } from "zod";
import { istioVersionProblem } from "./compatibility";
import {
  azureName,
  cidr,
  dnsLabel,
  durationSeconds,
  hostName,
  ipv4,
  resourceGroupName,
  resources,
  semver,
  whenFieldsValid,
} from "./primitives";

export const clusterSection = z
  .strictObject({
    mode: z
      .enum(["existing", "create"])
      .default("existing")
      .describe('"existing": read the cluster by resource group and name; "create": create it (fresh environments).'),
    resourceGroup: resourceGroupName.describe('Resource group of the cluster (created in mode "create").'),
    name: azureName.describe("Name of the AKS managed cluster."),
    credentials: z
      .enum(["user", "admin", "context"])
      .default("user")
      .describe(
        'How the Kubernetes provider authenticates: "user" — the cluster-user kubeconfig (kubelogin on Entra ID ' +
          'clusters); "admin" — the local admin kubeconfig (local accounts only); "context" — the ambient kubeconfig ' +
          "of the machine running Pulumi, with kubeconfigContext.",
      ),
    kubeloginMode: z
      .enum(["azurecli", "workloadidentity", "msi", "spn"])
      .default("azurecli")
      .describe('kubelogin login mode for "user" credentials on Entra ID clusters (kubelogin get-token --login).'),
    kubeconfigContext: z
      .string()
      .min(1)
      .optional()
      .describe('Context of the ambient kubeconfig, with credentials "context".'),
    upsertExistingObjects: z
      .boolean()
      .default(false)
      .describe(
        "Let the Kubernetes provider adopt objects that already exist (provider upsertExistingObjects). Only for the " +
          "one pulumi up that takes over a hand-installed mesh.",
      ),
    create: z
      .strictObject({
        location: z
          .string()
          .regex(/^[a-z0-9]+$/, 'must be an Azure region name such as "koreacentral"')
          .describe("Azure region."),
        kubernetesVersion: z
          .string()
          .regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'must be a version such as "1.32"')
          .describe(
            'Kubernetes version, "1.32" or "1.32.7". It must be one that istio.version supports and AKS offers on the ' +
              'day of the run (the table in policy/compatibility.ts; see "Kubernetes and Istio versions").',
          ),
        nodeCount: z.int().min(1).max(100).default(2).describe("Nodes in the system pool."),
        vmSize: z.string().min(1).default("Standard_D4s_v5").describe("VM size of the system pool."),
        zones: z
          .array(z.enum(["1", "2", "3"]))
          .default([])
          .describe("Availability zones of the system pool; [] for regions without zones."),
        tier: z
          .enum(["Free", "Standard", "Premium"])
          .default("Free")
          .describe(
            "AKS pricing tier; Standard adds the API server SLA; Premium adds long-term support (needed by supportPlan AKSLongTermSupport).",
          ),
        supportPlan: z
          .enum(["KubernetesOfficial", "AKSLongTermSupport"])
          .default("KubernetesOfficial")
          .describe(
            "AKS support plan (ManagedCluster supportPlan). AKSLongTermSupport keeps a Kubernetes version a second year after " +
              "its community support ends; it needs tier Premium.",
          ),
      })
      .optional()
      .describe('Settings of the cluster to create, for mode "create".'),
  })
  .superRefine((c, ctx) => {
    if (c.mode === "create" && !c.create) {
      ctx.addIssue({ code: "custom", path: ["create"], message: 'is required when mode is "create"' });
    }
    if (c.mode === "existing" && c.create) {
      ctx.addIssue({ code: "custom", path: ["create"], message: 'is only valid when mode is "create"' });
    }
    if (c.credentials === "context" && !c.kubeconfigContext) {
      ctx.addIssue({
        code: "custom",
        path: ["kubeconfigContext"],
        message: 'is required when credentials is "context"',
      });
    }
  }, whenFieldsValid)
  .describe("Where the mesh runs: an existing AKS cluster (default), or one this stack creates.");

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

export const istioSection = z
  .strictObject({
    version: semver
      .superRefine((v, ctx) => {
        if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(v)) return; // the format error above already says what is wrong
        const problem = istioVersionProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default("1.23.4")
      .describe(
        "Istio version: the chart versions and the proxy image tag. One of the minors of the compatibility table " +
          "(policy/compatibility.ts), which says which Kubernetes versions each supports.",
      ),
    revision: dnsLabel
      .optional()
      .describe(
        'Control-plane revision: the version with dashes ("1-23-4"), its default. Set it to pin the running revision ' +
          "(required in production): a version that is not the revision's is then refused, since it would upgrade " +
          "that revision and every sidecar in one pulumi up.",
      ),
    chartRepository: z
      .url({ message: "must be a URL" })
      .default("https://istio-release.storage.googleapis.com/charts")
      .describe("Helm repository of the Istio charts."),
    hub: z
      .string()
      .min(1)
      .default("docker.io/istio")
      .describe(
        "Image registry of istiod and the proxies (global.hub). Another registry than Istio's (an ACR mirror) must be " +
          "allowed in policy istio-image-hub-allowed's allowedHubs; production stacks run that policy mandatory.",
      ),
    outboundTrafficPolicy: z
      .enum(["ALLOW_ANY", "REGISTRY_ONLY"])
      .default("ALLOW_ANY")
      .describe("meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY blocks hosts the mesh does not know."),
    accessLog: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Envoy access logs on stdout (meshConfig.accessLogFile)."),
        encoding: z
          .enum(["TEXT", "JSON"])
          .default("JSON")
          .describe(
            "meshConfig.accessLogEncoding. JSON is parsed by Loki without a regex, and its lines carry trace_id (links to Jaeger).",
          ),
      })
      .prefault({})
      .describe("Envoy access logs."),
    pilot: z
      .strictObject({
        minReplicas: z.int().min(1).default(1).describe("istiod replicas (pilot.replicaCount, autoscaleMin)."),
        maxReplicas: z.int().min(1).default(5).describe("istiod autoscaling ceiling (pilot.autoscaleMax)."),
        resources: resources
          .default({ requests: { cpu: "500m", memory: "2Gi" } })
          .describe("istiod container resources (pilot.resources)."),
      })
      .prefault({})
      .refine((p) => p.maxReplicas >= p.minReplicas, {
        message: "maxReplicas must be at least minReplicas",
        ...whenFieldsValid,
      })
      .describe("istiod sizing."),
    proxy: z
      .strictObject({
        resources: resources
          .default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } })
          .describe("Sidecar resources (global.proxy.resources): requests 100m/128Mi, memory limit 1Gi by default."),
      })
      .prefault({})
      .describe("Envoy sidecars."),
    helmTimeoutSeconds: z
      .int()
      .min(60)
      .max(3600)
      .default(600)
      .describe("How long a Helm release may take to become ready."),
  })
  .describe("The Istio control plane: Helm releases istio-base and istiod-<revision>.");

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
  service: dnsLabel.describe("Kubernetes Service that receives the traffic."),
  namespace: dnsLabel.describe("Namespace of that Service."),
  port: z.int().min(1).max(65535).describe("Service port."),
  rewrite: path.optional().describe("Replace the matched prefix with this path before forwarding."),
  timeout: durationSeconds.optional().describe('Route timeout, e.g. "30s".'),
});

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
export type HostEntry = z.infer<typeof hostEntry>;

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
