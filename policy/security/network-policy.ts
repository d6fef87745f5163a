// NetworkPolicy checks: every injected namespace denies ingress by default (Kubernetes network policies docs, "Default
// deny all ingress traffic"; the CIS Kubernetes Benchmark 5.3.2 asks for a NetworkPolicy in every namespace), and the
// cluster has an engine that enforces them. AKS stores NetworkPolicies on a cluster without an engine
// (networkProfile.networkPolicy none) and enforces none of them (AKS docs, use-network-policies), so there the first
// check steps aside and the second, advisory, says what is missing and which command enables an engine.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { CLUSTER_NETWORK_POLICY_OUTPUT, CLUSTER_TYPES, UNKNOWN_NETWORK_POLICY } from "../contract";
import {
  at,
  isUnknown,
  type Json,
  type KubeObject,
  kubeObjects,
  list,
  plain,
  str,
  UNKNOWN,
  type Unknown,
} from "../lib";
import { declaredNamespaces, gatewayNamespaces, installedInjectors, podInjected } from "../lib/injection";

const MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster";

/** The engines that enforce NetworkPolicies on AKS (networkProfile.networkPolicy). */
const ENGINES = ["azure", "calico", "cilium"];

/** The step that gives an existing AKS cluster an engine, for the messages (AKS docs, use-network-policies). */
export const ENABLE_ENGINE_STEP =
  "enable an engine: on Azure CNI, the Cilium dataplane (`az aks update -g <group> -n <cluster> " +
  "--network-dataplane cilium`, AKS docs update-azure-cni), else `az aks update -g <group> -n <cluster> " +
  "--network-policy calico` (or azure: Azure NPM retires in 2028); either reimages every node pool at once. Then set " +
  "aks-mesh:cluster.networkPolicy to what `az aks show -g <group> -n <cluster> --query networkProfile.networkPolicy " +
  "-o tsv` prints";

/**
 * The cluster's engine as the stack knows it: the output of the cluster component (contract.ts), else the
 * networkProfile of a ManagedCluster the stack declares. "unknown" when neither says; UNKNOWN while a preview computes it;
 * undefined when the stack has no cluster the pack can see.
 */
export function clusterEngine(resources: PolicyResource[]): { engine: string | Unknown; urn: string } | undefined {
  const component = resources.find((r) => r.type === CLUSTER_TYPES.existing || r.type === CLUSTER_TYPES.created);
  if (component) {
    const engine = str(at(plain(component.props), CLUSTER_NETWORK_POLICY_OUTPUT));
    return { engine: engine ?? UNKNOWN_NETWORK_POLICY, urn: component.urn };
  }
  const managed = resources.find((r) => r.type === MANAGED_CLUSTER);
  if (!managed) return undefined;
  const engine = str(at(plain(managed.props), "networkProfile", "networkPolicy"));
  return { engine: engine ?? "none", urn: managed.urn };
}

/** Whether a label selector selects every pod: no matchLabels and no matchExpressions (Kubernetes LabelSelector). */
function selectsEveryPod(selector: Json | undefined): boolean | Unknown {
  if (selector === UNKNOWN) return UNKNOWN;
  const labels = at(selector, "matchLabels");
  const exprs = at(selector, "matchExpressions");
  if (labels === UNKNOWN || exprs === UNKNOWN) return UNKNOWN;
  const empty = (v: Json | undefined) =>
    v === undefined ||
    v === null ||
    (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.keys(v).length === 0);
  return empty(labels) && empty(exprs);
}

/**
 * Whether a NetworkPolicy denies all ingress to every pod of its namespace: podSelector {} and Ingress among its
 * policyTypes (when policyTypes is unset, Ingress is always implied) with no ingress rule (Kubernetes NetworkPolicy
 * API: "If this field is empty then this NetworkPolicy does not allow any traffic"). Other policies of the namespace
 * then only add allows.
 */
export function deniesAllIngress(spec: Json | undefined): boolean | Unknown {
  const every = selectsEveryPod(at(spec, "podSelector"));
  const types = at(spec, "policyTypes");
  const rules = at(spec, "ingress");
  if (every === UNKNOWN || types === UNKNOWN || rules === UNKNOWN) return UNKNOWN;
  if (!every) return false;
  if (types !== undefined && types !== null) {
    const t = list(types);
    if (t === UNKNOWN || t.some(isUnknown)) return UNKNOWN;
    if (!t.includes("Ingress")) return false;
  }
  const r = rules === undefined || rules === null ? [] : list(rules);
  if (r === UNKNOWN) return UNKNOWN;
  return r.length === 0;
}

/**
 * The injected namespaces the stack declares (gateway namespaces aside: their pods take load-balancer traffic) and
 * whether each has a default-deny ingress NetworkPolicy; UNKNOWN while a value is not known, undefined when the stack
 * runs no injector.
 */
export function namespacesWithoutDefaultDeny(
  resources: PolicyResource[],
): { name: string; urn: string }[] | Unknown | undefined {
  const inj = installedInjectors(resources);
  if (inj === undefined || inj === UNKNOWN) return inj;
  const objects = kubeObjects(resources);
  const namespaces = declaredNamespaces(objects);
  if (namespaces === UNKNOWN) return UNKNOWN;
  const gateways = gatewayNamespaces(resources, objects);
  const denying = new Set<string>();
  for (const np of objects.filter((o: KubeObject) => o.group === "networking.k8s.io" && o.kind === "NetworkPolicy")) {
    const denies = deniesAllIngress(np.spec);
    if (np.namespace === UNKNOWN || denies === UNKNOWN) return UNKNOWN;
    if (denies) denying.add(np.namespace);
  }
  const out: { name: string; urn: string }[] = [];
  for (const [name, ns] of namespaces) {
    if (gateways.has(name)) continue;
    if (!podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} })) continue;
    if (!denying.has(name)) out.push({ name, urn: ns.object.urn });
  }
  return out;
}

export const networkPolicyDefaultDeny: StackValidationPolicy & Why = {
  name: "network-policy-default-deny",
  description:
    "Every namespace with sidecar injection has a default-deny ingress NetworkPolicy (podSelector {}, policyTypes " +
    "Ingress, no rule), so a pod admits only what an allow names, even from callers outside the mesh that no " +
    "AuthorizationPolicy ever sees (Kubernetes network policies, default deny; CIS Kubernetes Benchmark 5.3.2). On a " +
    "cluster without an engine it steps aside for network-policy-engine-present.",
  enforcementLevel: "mandatory",
  why: "without it any pod of the cluster reaches every port of a mesh pod, sidecar or not",
  validateStack: (args, report) => {
    const cluster = clusterEngine(args.resources);
    if (cluster && (cluster.engine === UNKNOWN || cluster.engine === "none")) return;
    const missing = namespacesWithoutDefaultDeny(args.resources);
    if (missing === undefined || missing === UNKNOWN) return;
    const unknownEngine =
      cluster?.engine === UNKNOWN_NETWORK_POLICY
        ? " If the cluster has no network policy engine, declare aks-mesh:cluster.networkPolicy: none (`az aks show " +
          "-g <group> -n <cluster> --query networkProfile.networkPolicy -o tsv`) and this check steps aside."
        : "";
    for (const ns of missing) {
      report(
        `Namespace ${ns.name} has sidecar injection but no default-deny ingress NetworkPolicy (podSelector {}, ` +
          "policyTypes [Ingress], no ingress rule): set aks-mesh:security.networkPolicies.enabled true, which writes " +
          `it with the allows the service graph declares.${unknownEngine}`,
        ns.urn,
      );
    }
  },
};

export const networkPolicyEnginePresent: StackValidationPolicy & Why = {
  name: "network-policy-engine-present",
  description:
    "The cluster has a network policy engine (AKS networkProfile.networkPolicy azure, calico or cilium): AKS stores " +
    "NetworkPolicies on a cluster without one and enforces none of them (AKS docs, use-network-policies). Says which " +
    "namespaces have no default-deny and the command that enables an engine; also when the plan cannot see the engine.",
  enforcementLevel: "advisory",
  why: "without an engine every NetworkPolicy is ignored, and the default-deny check cannot hold",
  validateStack: (args, report) => {
    const cluster = clusterEngine(args.resources);
    if (!cluster || cluster.engine === UNKNOWN || ENGINES.includes(cluster.engine)) return;
    const written = kubeObjects(args.resources).filter(
      (o) => o.group === "networking.k8s.io" && o.kind === "NetworkPolicy",
    ).length;
    const missing = namespacesWithoutDefaultDeny(args.resources);
    const open = Array.isArray(missing) ? missing.map((n) => n.name) : [];
    if (written === 0 && open.length === 0) return;
    const facts = [
      ...(written > 0 ? [`its ${written} NetworkPolicies are stored but not enforced`] : []),
      ...(open.length > 0 ? [`namespaces ${open.join(", ")} have no default-deny ingress NetworkPolicy`] : []),
    ].join(", and ");
    if (cluster.engine === UNKNOWN_NETWORK_POLICY) {
      report(
        `The plan cannot see the cluster's network policy engine (the cluster read does not say and config ` +
          `aks-mesh:cluster.networkPolicy is not set), so ${facts} under an engine nobody has confirmed. Declare it: ` +
          "aks-mesh:cluster.networkPolicy set to what `az aks show -g <group> -n <cluster> --query " +
          "networkProfile.networkPolicy -o tsv` prints (empty: none).",
        cluster.urn,
      );
      return;
    }
    report(
      `The cluster has no network policy engine (networkProfile.networkPolicy ${cluster.engine}): ${facts}. To ` +
        `enforce NetworkPolicies, ${ENABLE_ENGINE_STEP}. With an engine, network-policy-default-deny requires the default-deny ` +
        "(README: Security rollout).",
      cluster.urn,
    );
  },
};
