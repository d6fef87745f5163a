// One schema per config section (a top-level `aks-mesh:<section>` key of Pulumi.<stack>.yaml). Every field carries its
// meaning and default here, and only here: components receive the parsed values and never read pulumi.Config.
// Later areas (security, traffic, delivery, ops) add one section each.
import { z } from "zod";
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
} from "./primitives";

/** Where the mesh runs: an existing AKS cluster (default), or one this stack creates. */
export const clusterSection = z
  .strictObject({
    /** "existing": read the cluster by resource group and name. "create": create it (fresh environments). */
    mode: z.enum(["existing", "create"]).default("existing"),
    /** Resource group of the cluster (created in mode "create"). */
    resourceGroup: resourceGroupName,
    /** Name of the AKS managed cluster. */
    name: azureName,
    /**
     * How the Kubernetes provider authenticates:
     * "user" — the cluster-user kubeconfig; on Entra ID clusters its kubelogin exec is set to `kubeloginMode`;
     * "admin" — the local admin kubeconfig (only when local accounts are enabled);
     * "context" — the ambient kubeconfig of the machine running Pulumi, with `kubeconfigContext`.
     */
    credentials: z.enum(["user", "admin", "context"]).default("user"),
    /** kubelogin login mode for "user" credentials on Entra ID clusters (`kubelogin get-token --login <mode>`). */
    kubeloginMode: z.enum(["azurecli", "workloadidentity", "msi", "spn"]).default("azurecli"),
    /** Context of the ambient kubeconfig, with credentials "context". */
    kubeconfigContext: z.string().min(1).optional(),
    /**
     * Let the Kubernetes provider adopt objects that already exist (provider option upsertExistingObjects).
     * Only for the one `pulumi up` that takes over a hand-installed mesh; leave false otherwise.
     */
    upsertExistingObjects: z.boolean().default(false),
    /** Settings for mode "create". */
    create: z
      .strictObject({
        location: z.string().regex(/^[a-z0-9]+$/, 'must be an Azure region name such as "koreacentral"'),
        kubernetesVersion: z.string().regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/, 'must be a version such as "1.30"'),
        nodeCount: z.int().min(1).max(100).default(2),
        vmSize: z.string().min(1).default("Standard_D4s_v5"),
        /** Availability zones of the system node pool; [] for regions without zones. */
        zones: z.array(z.enum(["1", "2", "3"])).default([]),
        tier: z.enum(["Free", "Standard"]).default("Free"),
      })
      .optional(),
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
  });

const PUBLIC_IP_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/([-\w.()]+)\/providers\/Microsoft\.Network\/publicIPAddresses\/([-\w.]+)$/;

/** Parses a public IP resource id into its resource group and name; undefined when it is not one. */
export function parsePublicIpId(id: string): { resourceGroup: string; name: string } | undefined {
  const m = PUBLIC_IP_ID.exec(id);
  return m ? { resourceGroup: m[1] as string, name: m[2] as string } : undefined;
}

/** The Standard static public IP the ingress gateway's load balancer answers on. */
export const staticIpSection = z
  .strictObject({
    /** Name of the public IP. Default: "pip-<project>-<stack>-ingress". Derived from adoptResourceId when adopting. */
    name: azureName.optional(),
    /**
     * Resource group of the IP. Default: the cluster's node resource group (AKS may use it without extra rights).
     * Any other group gets a Network Contributor role assignment for the cluster identity.
     */
    resourceGroup: resourceGroupName.optional(),
    /** Availability zones; [] means no zone. Must match the existing IP when adopting. */
    zones: z.array(z.enum(["1", "2", "3"])).default([]),
    /**
     * Give the cluster identity Network Contributor on the IP's resource group. Default: true when the IP is outside
     * the node resource group (resourceGroup or adoptResourceId set). Set false when that role was granted by hand,
     * or creating it again fails with RoleAssignmentExists.
     */
    grantNetworkContributor: z.boolean().optional(),
    /** Azure tags on the IP. Must match the existing IP's tags when adopting. */
    tags: z.record(z.string(), z.string()).default({}),
    /** Azure resource id of an existing IP to adopt (Pulumi import) instead of creating one. */
    adoptResourceId: z
      .string()
      .refine((id) => parsePublicIpId(id) !== undefined, {
        message:
          "must be a public IP resource id: /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.Network/publicIPAddresses/<name>",
      })
      .optional(),
    /** The address this IP must have (DNS points at it). A mismatch after import fails the update. */
    expectedAddress: ipv4.optional(),
    /** Azure DNS zone to publish an A record for every mesh host in (optional). */
    dns: z
      .strictObject({
        zoneName: hostName,
        resourceGroup: resourceGroupName,
        ttl: z.int().min(1).max(86400).default(300),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    const adopted = s.adoptResourceId ? parsePublicIpId(s.adoptResourceId) : undefined;
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
  });

/** The Istio control plane (charts base and istiod). */
export const istioSection = z.strictObject({
  /** Istio version: chart versions and proxy image tag. Istio objects use the v1 APIs, served from 1.22. */
  version: semver
    .refine((v) => {
      const m = /^([0-9]+)\.([0-9]+)\.[0-9]+$/.exec(v);
      if (!m) return true; // the format error above already says what is wrong
      return Number(m[1]) > 1 || Number(m[2]) >= 22;
    }, "must be 1.22.0 or later (the v1 Istio APIs this program writes are served from 1.22)")
    .default("1.23.4"),
  /** Control-plane revision. Default: the version with dots as dashes ("1-23-4"), so upgrades can run side by side. */
  revision: dnsLabel.optional(),
  /** Helm repository of the Istio charts. */
  chartRepository: z.url({ message: "must be a URL" }).default("https://istio-release.storage.googleapis.com/charts"),
  /** Image registry of istiod and the proxies (global.hub); a mirror such as an ACR works too. */
  hub: z.string().min(1).default("docker.io/istio"),
  /** meshConfig.outboundTrafficPolicy.mode: ALLOW_ANY lets sidecars reach unknown hosts; REGISTRY_ONLY blocks them. */
  outboundTrafficPolicy: z.enum(["ALLOW_ANY", "REGISTRY_ONLY"]).default("ALLOW_ANY"),
  /** Envoy access logs on stdout (meshConfig.accessLogFile) and their encoding. */
  accessLog: z
    .strictObject({
      enabled: z.boolean().default(true),
      encoding: z.enum(["TEXT", "JSON"]).default("JSON"),
    })
    .prefault({}),
  /** istiod (pilot) sizing: replicaCount / autoscaleMin, autoscaleMax and resources. */
  pilot: z
    .strictObject({
      minReplicas: z.int().min(1).default(1),
      maxReplicas: z.int().min(1).default(5),
      resources: resources.default({ requests: { cpu: "500m", memory: "2Gi" } }),
    })
    .prefault({})
    .refine((p) => p.maxReplicas >= p.minReplicas, { message: "maxReplicas must be at least minReplicas" }),
  /** Sidecar proxy resources (global.proxy.resources). Default requests 100m/128Mi, memory limit 1Gi. */
  proxy: z
    .strictObject({
      resources: resources.default({
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "2000m", memory: "1Gi" },
      }),
    })
    .prefault({}),
  /** How long a Helm release may take to become ready, in seconds. */
  helmTimeoutSeconds: z.int().min(60).max(3600).default(600),
});

/** The ingress gateway workload, deployed as Istio documents manual gateway deployment (see README). */
export const ingressGatewaySection = z
  .strictObject({
    /** Namespace of the gateway workload (created unless it is istio-system). */
    namespace: dnsLabel.default("istio-ingress"),
    /** Name of the Deployment, Service and ServiceAccount; the pods carry app=<name>, istio=<name without istio->. */
    name: dnsLabel.default("istio-ingressgateway"),
    /** HorizontalPodAutoscaler bounds and CPU target. */
    autoscaling: z
      .strictObject({
        minReplicas: z.int().min(1).default(1),
        maxReplicas: z.int().min(1).default(5),
        targetCPUUtilizationPercentage: z.int().min(1).max(100).default(80),
      })
      .prefault({}),
    /** PodDisruptionBudget minAvailable; omit for none. Must stay below minReplicas or node drains would block. */
    podDisruptionBudget: z.strictObject({ minAvailable: z.int().min(1) }).optional(),
    /** Resources of the gateway's Envoy. */
    resources: resources.default({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "2000m", memory: "1Gi" },
    }),
    /** Service externalTrafficPolicy. Local keeps client source IPs and skips a second hop. */
    externalTrafficPolicy: z.enum(["Local", "Cluster"]).default("Local"),
    /** Client ranges allowed by the load balancer; [] allows all. */
    loadBalancerSourceRanges: z.array(cidr).default([]),
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
  });

const route = z.strictObject({
  /** URI prefix matched (what the NGINX Ingress path was). */
  prefix: z.string().regex(/^\/[^\s]*$/, 'must be a path starting with "/"'),
  /** Kubernetes Service that receives the traffic. */
  service: dnsLabel,
  /** Namespace of that Service. */
  namespace: dnsLabel,
  /** Service port. */
  port: z.int().min(1).max(65535),
  /** Replace the matched prefix with this one before forwarding (HTTPRewrite.uri). */
  rewrite: z
    .string()
    .regex(/^\/[^\s]*$/, 'must be a path starting with "/"')
    .optional(),
  /** Route timeout (HTTPRoute.timeout). */
  timeout: durationSeconds.optional(),
});

/** A host served by the ingress gateway. */
export const hostEntry = z.strictObject({
  host: hostName,
  /** HTTPS with a certificate from a Kubernetes TLS Secret in the gateway namespace; HTTP then redirects to HTTPS. */
  tls: z
    .strictObject({
      credentialName: dnsLabel,
      httpsRedirect: z.boolean().default(true),
    })
    .optional(),
  /** Path prefixes and the Service each goes to. */
  routes: z.array(route).min(1, "must list at least one route"),
});
export type HostEntry = z.infer<typeof hostEntry>;

/** Application hosts and their routes (what the NGINX Ingress rules used to do). */
export const ingressSection = z
  .strictObject({
    /** Name of the Istio Gateway object every host binds to. */
    gatewayName: dnsLabel.default("public-gateway"),
    hosts: z.array(hostEntry).default([]),
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
  });

/** An application namespace whose pods get Envoy sidecars from this stack's control-plane revision. */
export const meshNamespace = z.strictObject({
  name: dnsLabel,
  /** true: the namespace exists and is only labelled (Server-Side Apply patch); false: this stack creates it. */
  existing: z.boolean().default(true),
});

export const meshNamespacesSection = z.array(meshNamespace).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((ns, i) => {
    if (seen.has(ns.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `"${ns.name}" is listed twice` });
    if (["kube-system", "kube-public", "kube-node-lease", "istio-system"].includes(ns.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `"${ns.name}" is a system namespace and must not get sidecars`,
      });
    }
    seen.add(ns.name);
  });
});
