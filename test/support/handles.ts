// Handles of the areas a component under test depends on, without the components that make them: what a test of one
// area needs to instantiate it alone. Import it after mockRuntime() (it registers a Kubernetes provider).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../../components/cluster";
import type { GatewayHandle } from "../../components/ingress";
import type { ControlPlaneHandle } from "../../components/istio/handle";

/** A cluster read by the stack, with a Kubernetes provider named "test-k8s". */
export function testCluster(): ClusterHandle {
  return {
    provider: new k8s.Provider("test-k8s", {}),
    location: pulumi.output("koreacentral"),
    nodeResourceGroup: pulumi.output("MC_rg_aks_koreacentral"),
    identityPrincipalId: pulumi.output("principal-1"),
    kubernetesVersion: pulumi.output("1.30.7"),
    networkPolicyEngine: pulumi.output("cilium"),
    kubeconfig: pulumi.secret(""),
    created: false,
  };
}

/** Istio 1.23.4 at revision 1-23-4 in istio-system, with nothing to wait for unless `ready` is given. */
export function testControlPlane(overrides: Partial<ControlPlaneHandle> = {}): ControlPlaneHandle {
  return {
    version: "1.23.4",
    revisions: [{ revision: "1-23-4", version: "1.23.4" }],
    revision: "1-23-4",
    injectionRevision: "1-23-4",
    namespace: "istio-system",
    ready: [],
    meshConfig: { extensionProviders: [], istiodEnv: {} },
    ...overrides,
  };
}

/** The istio-ingressgateway in istio-ingress behind the public Gateway, at the documentation address. */
export function testGateway(overrides: Partial<GatewayHandle> = {}): GatewayHandle {
  return {
    namespace: "istio-ingress",
    namespaceReady: [],
    name: "istio-ingressgateway",
    serviceAccount: "istio-ingressgateway",
    selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
    ref: "istio-ingress/public-gateway",
    address: pulumi.output("192.0.2.10"),
    hosts: [],
    ...overrides,
  };
}
