// `aks-mesh:security.networkPolicies`: Kubernetes NetworkPolicies per application namespace, derived from the service
// graph. They are the L3/L4 layer under Istio's AuthorizationPolicies: they also stop what never meets a proxy (a pod
// without a sidecar, a caller outside the mesh). Only a network policy engine enforces them; the cluster's engine is a
// fact of the cluster (aks-mesh:cluster.networkPolicy, ClusterHandle.networkPolicyEngine), not of this section.
import { z } from "zod";
import type { CheckContext, Parsed } from "../area";
import type { ingressKeys } from "../ingress";
import type { istioKeys } from "../istio";
import { cidr } from "../primitives";

export const networkPoliciesSection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Per mesh namespace a default-deny ingress NetworkPolicy plus allows from the service graph (callers, the " +
          "ingress gateway, Prometheus on 15020/15090). Rollback: false deletes them (README: Security rollout).",
      ),
    egress: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Also deny egress by default, allowing DNS (kube-dns), istiod (15012), Jaeger's collector, the services " +
              "the graph says the namespace calls, its external hosts' ports and apiServerCidrs.",
          ),
        apiServerCidrs: z
          .array(cidr)
          .default([])
          .describe(
            "Addresses of the API server, for pods that call it (port 443): `kubectl get endpoints kubernetes -n " +
              "default -o jsonpath='{.subsets[*].addresses[*].ip}'` (a /32 each). Sidecars do not need it.",
          ),
      })
      .prefault({})
      .describe("The optional egress lock-down of the mesh namespaces."),
    controlPlane: z
      .boolean()
      .default(false)
      .describe(
        "Also deny ingress in istiod's namespace, admitting sidecars and gateways on 15012, the API server's webhook " +
          "calls on 15017 and Prometheus on 15014.",
      ),
  })
  .prefault({})
  .describe(
    "Kubernetes NetworkPolicies from the service graph; enforced only where the cluster has a network policy engine " +
      "(aks-mesh:cluster.networkPolicy).",
  );

export type NetworkPoliciesConfig = z.infer<typeof networkPoliciesSection>;

/** What the checks read besides the section: the gateway's and istiod's namespaces. */
type Others = Pick<Parsed<typeof ingressKeys>, "ingressGateway"> & Pick<Parsed<typeof istioKeys>, "istio">;

/** A default-deny in istiod's namespace would also cut the ingress gateway off from the load balancer there. */
export function networkPoliciesChecks(np: NetworkPoliciesConfig, root: Others, { key }: CheckContext): string[] {
  if (!np.enabled || !np.controlPlane || root.ingressGateway.namespace !== root.istio.namespace) return [];
  return [
    `${key("security.networkPolicies.controlPlane")}: istiod's namespace "${root.istio.namespace}" also runs the ` +
      `ingress gateway (${key("ingressGateway.namespace")}), whose load-balancer traffic a default-deny there would ` +
      "cut; move the gateway to its own namespace or leave controlPlane false",
  ];
}
