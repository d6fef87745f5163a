// Strings the program writes and the pack reads: the one place both take them from. The program imports this module;
// the pack never imports the program.

/** Type tokens of the cluster components (components/cluster). */
export const CLUSTER_TYPES = {
  /** A cluster the stack only reads (cluster.mode existing). */
  existing: "aks-mesh:cluster:ExistingCluster",
  /** A cluster the stack creates (cluster.mode create). */
  created: "aks-mesh:cluster:AksCluster",
} as const;

/**
 * The output both cluster components register with the cluster's Kubernetes version ("1.32.7", or "1.32" as
 * configured): what the existing cluster's read reports, or what the stack asks AKS for.
 */
export const CLUSTER_KUBERNETES_VERSION_OUTPUT = "kubernetesVersion";

/**
 * The output both cluster components register with the cluster's network policy engine (AKS networkProfile.networkPolicy):
 * "none", "azure", "calico" or "cilium", as the existing cluster's read reports it (else as config cluster.networkPolicy
 * declares it), "cilium" for a created cluster; "unknown" when neither says. Without an engine AKS ignores
 * NetworkPolicies, so the pack's NetworkPolicy checks read it (policy/security/network-policy.ts).
 */
export const CLUSTER_NETWORK_POLICY_OUTPUT = "networkPolicy";
/** The value of CLUSTER_NETWORK_POLICY_OUTPUT when neither the cluster read nor the config says. */
export const UNKNOWN_NETWORK_POLICY = "unknown";

/**
 * The output the existing cluster's component registers with its node pool as config declares it
 * (`{ vmSize, count, maxPods }`, config cluster.nodePool), for the footprint report and its policy; absent when the
 * config does not say. A created cluster's pool is read from its ManagedCluster instead.
 */
export const CLUSTER_NODE_POOL_OUTPUT = "nodePool";

/**
 * The output the mesh area's component (aks-mesh:mesh:Mesh) registers with the application services of the graph (aks-mesh:services):
 * `[{ name, namespace, replicas }]`, `replicas` null when the stack does not declare it. The footprint report counts
 * their sidecars.
 */
export const MESH_SERVICES_OUTPUT = "services";

/** The environments a stack declares with config `aks-mesh:environment`; each runs policy/<environment>.json. */
export const ENVIRONMENTS = ["production", "development"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A stack that does not say gets the strict levels. */
export const DEFAULT_ENVIRONMENT: Environment = "production";

/** The stack output in which the program declares its environment; the pack reads it from the root stack resource. */
export const ENVIRONMENT_OUTPUT = "environment";

/** The label that selects a revision's sidecar injector (a revision name or a tag) for a namespace or a pod. */
export const REVISION_LABEL = "istio.io/rev";

/** Istio's label that opts a pod in or out of injection; the program sets it, the pack reads it as the injector does. */
export const SIDECAR_INJECT = "sidecar.istio.io/inject";

/** Istio's annotation that picks the injection template; "gateway" marks a gateway deployment (istio-proxy as the app). */
export const INJECT_TEMPLATES_ANNOTATION = "inject.istio.io/templates";

/**
 * The labels every Kubernetes object of the program carries (components/shared/labels.ts): the pack tells the stack's
 * own objects from hand-made ones by them (policy/live.ts), and `kubectl get -l app.kubernetes.io/part-of=aks-mesh`
 * lists what the stack owns.
 */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "pulumi";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const PART_OF = "aks-mesh";

/**
 * Type tokens of the components whose resources the pack recognises by URN, to name the config key that sizes them
 * (policy/proxy).
 */
export const COMPONENT_TYPES = {
  /** components/istio: the control plane (istiod's global.proxy sizes every sidecar). */
  controlPlane: "aks-mesh:istio:IstioControlPlane",
  /** components/ingress: the ingress gateway workload. */
  ingressGateway: "aks-mesh:ingress:IngressGateway",
} as const;

/**
 * Services of the prometheus chart (prometheus-community) that the observability routes reach and that have no login
 * of their own: the pack refuses to route to them without a JWT check (policy/observability).
 */
export const PROMETHEUS_SERVICES = {
  server: "prometheus-server",
  alertmanager: "prometheus-alertmanager",
} as const;

// The mTLS compatibility-check contract (docs/policies.md): the security layer's gate records, as a ConfigMap child,
// which scope it has checked; peer-authentication-strict-requires-mtls-check accepts a STRICT PeerAuthentication only
// under such a record.

/** Type token of the security layer's compatibility gate component. */
export const MTLS_CHECK_COMPONENT_TYPE = "aks-mesh:security:MtlsCompatibilityCheck";
/** Pulumi type of the record the gate creates. */
export const MTLS_CHECK_RECORD_TYPE = "kubernetes:core/v1:ConfigMap";
/** Label that marks the record; its value must be "true". */
export const MTLS_CHECK_LABEL = "security.aks-mesh.io/mtls-compatibility-check";
/** Annotation holding the covered scope: MESH_WIDE_SCOPE, or a comma-separated list of namespaces. */
export const MTLS_CHECK_SCOPE_ANNOTATION = "security.aks-mesh.io/mtls-scope";
/** The scope value that covers the whole mesh (every namespace, and the mesh-wide PeerAuthentication). */
export const MESH_WIDE_SCOPE = "*";

// Authorization in dry-run (docs/security.md): the program writes both annotations on every AuthorizationPolicy it
// generates in dry-run; the pack reads them (authorization-dry-run-age).

/** Istio's annotation that evaluates an ALLOW or DENY AuthorizationPolicy without enforcing it (read by strconv.ParseBool). */
export const DRY_RUN_ANNOTATION = "istio.io/dry-run";
/** The day ("YYYY-MM-DD") a policy's dry-run started (config security.authorization.dryRunSince). */
export const DRY_RUN_SINCE_ANNOTATION = "security.aks-mesh.io/dry-run-since";

/**
 * Annotations of a VirtualService whose routes inject faults (config aks-mesh:traffic.services.<s>.fault): the last
 * day of the drill ("YYYY-MM-DD", fault.expires), and "true" when it is allowed in production
 * (fault.allowInProduction). The pack refuses a fault in production without both, or past its day.
 */
export const FAULT_EXPIRES_ANNOTATION = "traffic.aks-mesh.io/fault-expires";
export const FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION = "traffic.aks-mesh.io/fault-allowed-in-production";

/** The program's mTLS config section, and the key that adds the gate (named by the pack's messages only). */
export const MTLS_CONFIG_KEY = "aks-mesh:security.mtls";
export const MTLS_CHECK_CONFIG_KEY = `${MTLS_CONFIG_KEY}.check`;
/** Annotation on the record: how the scope was checked, MTLS_CHECK_MODES. */
export const MTLS_CHECK_MODE_ANNOTATION = "security.aks-mesh.io/mtls-check-mode";
export const MTLS_CHECK_MODES = { automated: "automated", manual: "manual" } as const;
/** Annotation on a manual record: the day the attestation was made (YYYY-MM-DD). */
export const MTLS_ATTESTED_AT_ANNOTATION = "security.aks-mesh.io/mtls-attested-at";
/** Annotation on a manual record: how many days after MTLS_ATTESTED_AT_ANNOTATION the attestation still counts. */
export const MTLS_ATTESTATION_VALID_DAYS_ANNOTATION = "security.aks-mesh.io/mtls-attestation-valid-days";
/**
 * Annotation on a PeerAuthentication that lets plaintext in below the mesh-wide level (a namespace, workload or port
 * in PERMISSIVE or DISABLE): why. A port's reason is under the same key suffixed with "-port-<port>".
 */
export const MTLS_EXCEPTION_REASON_ANNOTATION = "security.aks-mesh.io/mtls-exception-reason";
/** The annotation holding the reason of one port-level exception. */
export function mtlsPortReasonAnnotation(port: string): string {
  return `${MTLS_EXCEPTION_REASON_ANNOTATION}-port-${port}`;
}

/**
 * Annotation of a service's DestinationRule: the concurrent requests the service is expected to take (its declared
 * replicas times aks-mesh:traffic.services.<s>.expectedConcurrency), when both are declared. The pack compares its
 * connection pool with it.
 */
export const EXPECTED_CONCURRENCY_ANNOTATION = "traffic.aks-mesh.io/expected-concurrent-requests";

/**
 * Type token of the traffic area's global rate limiting component (components/traffic/global-rate-limiter.ts): the
 * pack finds the ratelimit Deployment (label app=ratelimit) under it.
 */
export const GLOBAL_RATE_LIMIT_TYPE = "aks-mesh:traffic:GlobalRateLimit";
/** The app label of the ratelimit service's Deployment and pods. */
export const GLOBAL_RATE_LIMIT_APP = "ratelimit";
