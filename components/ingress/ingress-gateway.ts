import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { meshLabels } from "../shared";

/** AKS annotations that bind a LoadBalancer Service to an existing public IP (spec.loadBalancerIP is deprecated). */
export const AZURE_PIP_NAME = "service.beta.kubernetes.io/azure-pip-name";
export const AZURE_LB_RESOURCE_GROUP = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

export interface IngressGatewayArgs {
  /** Namespace of the gateway (config ingressGateway.namespace). */
  namespace: string;
  /** Create the namespace; false for istio-system, which the base release creates. */
  createNamespace: boolean;
  /** Name of the Deployment/Service/ServiceAccount (config ingressGateway.name). */
  name: string;
  /** Control-plane revision whose injector fills in the proxy (label istio.io/rev). */
  revision: string;
  /** HorizontalPodAutoscaler settings (config ingressGateway.autoscaling). */
  autoscaling: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  /** PodDisruptionBudget minAvailable (config ingressGateway.podDisruptionBudget); none when undefined. */
  podDisruptionBudget?: { minAvailable: number };
  /** Envoy resources (config ingressGateway.resources). */
  resources: Resources;
  /** Service externalTrafficPolicy (config ingressGateway.externalTrafficPolicy). */
  externalTrafficPolicy: "Local" | "Cluster";
  /** Load balancer source ranges (config ingressGateway.loadBalancerSourceRanges). */
  loadBalancerSourceRanges: string[];
  /** The static IP the Service binds to, by name and resource group. */
  staticIp: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
  /** The IP and its role assignment: the Service is created after them and so deleted before them. */
  ipResources: pulumi.Resource[];
  /** The control plane: pods are created only once istiod's injection webhook answers. */
  controlPlane: pulumi.Resource[];
}

/** The selector labels of a gateway, as the upstream gateway chart derives them from its name. */
export function gatewaySelector(name: string): Record<string, string> {
  return { app: name, istio: name.replace(/^istio-/, "") };
}

/**
 * The ingress gateway, built as Istio documents manual gateway deployment (a Deployment whose pod is injected with the
 * `gateway` template) instead of the 1.23 `gateway` Helm chart: that chart's values.schema.json is rejected by the
 * Helm embedded in @pulumi/kubernetes >= 4.24 (helm/helm#31160, istio/istio#57354; fixed in chart 1.26.4).
 * The objects mirror the chart's templates (deployment, service, serviceaccount, role, hpa, pdb) for 1.23.4.
 */
export class IngressGateway extends pulumi.ComponentResource {
  /** Pod labels the Istio Gateway objects select. */
  readonly selector: Record<string, string>;
  /** Namespace of the gateway workload. */
  readonly namespace: string;
  /**
   * What every object in the gateway namespace depends on: the Namespace when this component creates it (none for an
   * existing namespace), so such objects are created after it and deleted before it, never by a namespace deletion.
   */
  readonly namespaceReady: pulumi.Resource[];
  /** The LoadBalancer Service. */
  readonly service: k8s.core.v1.Service;
  /** The Deployment. */
  readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: IngressGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:ingress:IngressGateway", name, {}, opts);
    this.namespace = args.namespace;
    this.selector = gatewaySelector(args.name);
    const labels = meshLabels("ingress-gateway", { ...this.selector, "app.kubernetes.io/name": args.name });
    const metadata = { name: args.name, namespace: args.namespace, labels };

    const namespace = args.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-ns`,
          { metadata: { name: args.namespace, labels: meshLabels("ingress-gateway") } },
          { parent: this },
        )
      : undefined;
    this.namespaceReady = namespace ? [namespace] : [];
    const inNamespace = { parent: this, dependsOn: this.namespaceReady };

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata }, inNamespace);
    // The gateway reads the TLS Secrets named by Gateway credentialName in its own namespace.
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list"] }] },
      inNamespace,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-rolebinding`,
      {
        metadata,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name }],
      },
      inNamespace,
    );

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata,
        spec: {
          // No replicas: the HorizontalPodAutoscaler owns the count, and a fixed value would fight it on every update.
          selector: { matchLabels: this.selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "100%", maxUnavailable: "25%" } },
          template: {
            metadata: {
              annotations: {
                "inject.istio.io/templates": "gateway",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "prometheus.io/path": "/stats/prometheus",
              },
              labels: {
                ...labels,
                "sidecar.istio.io/inject": "true",
                "istio.io/rev": args.revision,
              },
            },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              // Envoy binds 80/443 without root; safe since Kubernetes 1.22 (kubernetes/kubernetes#103326).
              securityContext: { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] },
              containers: [
                {
                  name: "istio-proxy",
                  // "auto" is replaced by the injector with the proxy image of this revision.
                  image: "auto",
                  securityContext: {
                    capabilities: { drop: ["ALL"] },
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    readOnlyRootFilesystem: true,
                    runAsUser: 1337,
                    runAsGroup: 1337,
                    runAsNonRoot: true,
                  },
                  ports: [{ containerPort: 15090, protocol: "TCP", name: "http-envoy-prom" }],
                  resources: args.resources,
                },
              ],
              // Spread replicas over zones and nodes so one failure never takes the whole ingress down.
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: "topology.kubernetes.io/zone",
                  whenUnsatisfiable: "ScheduleAnyway",
                  labelSelector: { matchLabels: this.selector },
                },
                {
                  maxSkew: 1,
                  topologyKey: "kubernetes.io/hostname",
                  whenUnsatisfiable: "ScheduleAnyway",
                  labelSelector: { matchLabels: this.selector },
                },
              ],
              terminationGracePeriodSeconds: 30,
            },
          },
        },
      },
      // Created only after istiod is ready: a gateway pod admitted while the injector is down keeps the literal
      // image "auto" and never starts (istio/istio#35789).
      { parent: this, dependsOn: [...inNamespace.dependsOn, ...args.controlPlane] },
    );

    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata,
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
          minReplicas: args.autoscaling.minReplicas,
          maxReplicas: args.autoscaling.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                target: { type: "Utilization", averageUtilization: args.autoscaling.targetCPUUtilizationPercentage },
              },
            },
          ],
        },
      },
      inNamespace,
    );

    if (args.podDisruptionBudget) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata,
          spec: { minAvailable: args.podDisruptionBudget.minAvailable, selector: { matchLabels: this.selector } },
        },
        inNamespace,
      );
    }

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: {
          ...metadata,
          annotations: {
            [AZURE_PIP_NAME]: args.staticIp.name,
            [AZURE_LB_RESOURCE_GROUP]: args.staticIp.resourceGroupName,
          },
        },
        spec: {
          type: "LoadBalancer",
          externalTrafficPolicy: args.externalTrafficPolicy,
          ...(args.loadBalancerSourceRanges.length > 0
            ? { loadBalancerSourceRanges: args.loadBalancerSourceRanges }
            : {}),
          selector: this.selector,
          ports: [
            { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
            { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
            { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
          ],
        },
      },
      // Depending on the IP (and its role assignment) orders the Service's creation after them and its deletion
      // before them: Azure refuses to delete an IP a load balancer still holds.
      { parent: this, dependsOn: [...inNamespace.dependsOn, ...args.ipResources] },
    );

    this.registerOutputs({ selector: this.selector, namespace: this.namespace });
  }
}
