import { CLUSTER_NETWORK_POLICY_OUTPUT, CLUSTER_TYPES } from "../../../policy/contract";
import { networkPolicyDefaultDeny, networkPolicyEnginePresent } from "../../../policy/security/network-policy";
import {
  type Case,
  type Fixture,
  gatewayDeployment,
  helmRelease,
  kube,
  namespace,
  runCases,
  runCoverage,
  runPreviewSafety,
} from "../fixtures";

/** The existing cluster's component, with the engine its read (or config) reports. */
const cluster = (engine: string): Fixture => ({
  type: CLUSTER_TYPES.existing,
  name: "cluster",
  props: { [CLUSTER_NETWORK_POLICY_OUTPUT]: engine },
});
const istiod = helmRelease("istiod", { values: { revision: "1-23-4" } });
const enrolled = (name: string) => namespace(name, { "istio.io/rev": "1-23-4" });
const netpol = (name: string, ns: string, spec: Record<string, unknown>) =>
  kube("networking.k8s.io/v1", "NetworkPolicy", name, { spec }, { namespace: ns, resourceName: `${ns}-${name}` });
/** What the program writes as each namespace's default-deny (components/security/network-policy-specs.ts). */
const defaultDeny = (ns: string) => netpol("default-deny-ingress", ns, { podSelector: {}, policyTypes: ["Ingress"] });

const cases: Case[] = [
  {
    title: "rejects an injected namespace without a default-deny ingress NetworkPolicy on a cluster with an engine",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("calico"), istiod, enrolled("shop")],
    rejects:
      /Namespace shop has sidecar injection but no default-deny ingress NetworkPolicy .*networkPolicies\.enabled true/,
    count: 1,
  },
  {
    title: "accepts the default-deny the program writes",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("cilium"), istiod, enrolled("shop"), defaultDeny("shop")],
  },
  {
    title: "accepts a default-deny without policyTypes (Ingress is implied)",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("azure"), istiod, enrolled("shop"), netpol("deny", "shop", { podSelector: {} })],
  },
  {
    title: "does not count a policy with an ingress rule, which allows rather than denies",
    policy: networkPolicyDefaultDeny,
    fixtures: [
      cluster("cilium"),
      istiod,
      enrolled("shop"),
      netpol("allow-all", "shop", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] }),
    ],
    rejects: /Namespace shop has sidecar injection but no default-deny/,
    count: 1,
  },
  {
    title: "does not count a deny that selects only some pods",
    policy: networkPolicyDefaultDeny,
    fixtures: [
      cluster("cilium"),
      istiod,
      enrolled("shop"),
      netpol("deny-web", "shop", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }),
    ],
    rejects: /Namespace shop/,
    count: 1,
  },
  {
    title: "does not count an egress-only deny",
    policy: networkPolicyDefaultDeny,
    fixtures: [
      cluster("cilium"),
      istiod,
      enrolled("shop"),
      netpol("deny-egress", "shop", { podSelector: {}, policyTypes: ["Egress"] }),
    ],
    rejects: /Namespace shop/,
    count: 1,
  },
  {
    title: "leaves the gateway namespace and namespaces without injection alone",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("cilium"), istiod, namespace("istio-ingress"), gatewayDeployment(), namespace("batch")],
  },
  {
    title: "steps aside on a cluster without an engine (the advisory check speaks there)",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("none"), istiod, enrolled("shop")],
  },
  {
    title: "asks to declare the engine when the plan cannot see it",
    policy: networkPolicyDefaultDeny,
    fixtures: [cluster("unknown"), istiod, enrolled("shop")],
    rejects: /declare aks-mesh:cluster\.networkPolicy: none \(`az aks show/,
    count: 1,
  },
  {
    title: "reports, on a cluster without an engine, the namespaces without a default-deny and how to enable one",
    policy: networkPolicyEnginePresent,
    fixtures: [cluster("none"), istiod, enrolled("shop"), enrolled("api"), defaultDeny("api")],
    rejects:
      /no network policy engine .*its 1 NetworkPolicies are stored but not enforced, and namespaces shop have no default-deny .*--network-dataplane cilium.*--network-policy calico/,
    count: 1,
  },
  {
    title: "reports an engine the plan cannot see, with the command that reads it",
    policy: networkPolicyEnginePresent,
    fixtures: [cluster("unknown"), istiod, enrolled("shop"), defaultDeny("shop")],
    rejects: /cannot see the cluster's network policy engine .*--query networkProfile\.networkPolicy -o tsv/,
    count: 1,
  },
  {
    title: "accepts a cluster with an engine",
    policy: networkPolicyEnginePresent,
    fixtures: [cluster("cilium"), istiod, enrolled("shop")],
  },
  {
    title: "accepts a cluster without an engine when the stack neither writes nor needs a NetworkPolicy",
    policy: networkPolicyEnginePresent,
    fixtures: [cluster("none"), namespace("plain")],
  },
  {
    title: "reads a ManagedCluster the stack declares without the cluster component",
    policy: networkPolicyDefaultDeny,
    fixtures: [
      {
        type: "azure-native:containerservice:ManagedCluster",
        name: "aks",
        props: { networkProfile: { networkPlugin: "azure", networkPolicy: "cilium" } },
      },
      istiod,
      enrolled("shop"),
    ],
    rejects: /Namespace shop/,
    count: 1,
  },
];

describe("NetworkPolicy policies", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage([networkPolicyDefaultDeny, networkPolicyEnginePresent], cases);
});
