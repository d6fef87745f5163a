import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Resources } from "../../config";
import { INJECT_TEMPLATES_ANNOTATION, REVISION_LABEL, SIDECAR_INJECT } from "../../policy/contract";
import { meshLabels } from "./labels";

/** The selector labels of a gateway, as the upstream gateway chart derives them from its name. */
export function gatewaySelector(name: string): Record<string, string> {
  return { app: name, istio: name.replace(/^istio-/, "") };
}

type ServicePort = k8s.types.input.core.v1.ServicePort;

/** What every gateway workload has, whatever it serves (ingress today; egress and east-west later). */
export interface GatewayWorkloadArgs {
  /** Namespace of the gateway. */
  namespace: string;
  /** Create the namespace; false when another component (or nobody: it exists) owns it. */
  createNamespace: boolean;
  /** Name of the Deployment, Service, ServiceAccount, Role and RoleBinding. */
  name: string;
  /** Control-plane revision (or tag) whose injector fills in the proxy: the pod's istio.io/rev label. */
  revision: string;
  /** HorizontalPodAutoscaler bounds and CPU target. */
  autoscaling: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  /** PodDisruptionBudget minAvailable; none when undefined. */
  podDisruptionBudget?: { minAvailable: number };
  /** Envoy resources. */
  resources: Resources;
  /** The gateway's Service: its type, ports and the annotations and settings its role needs. */
  service: {
    type: "LoadBalancer" | "ClusterIP";
    ports: ServicePort[];
    annotations?: Record<string, pulumi.Input<string>>;
    externalTrafficPolicy?: "Local" | "Cluster";
    loadBalancerSourceRanges?: string[];
    /** What the Service is created after (and so deleted before), e.g. the IP a load balancer binds. */
    dependsOn?: pulumi.Resource[];
  };
  /** The control plane: pods are created only once istiod's injection webhook answers. */
  controlPlane: pulumi.Resource[];
}

/**
 * A gateway workload built as Istio documents manual gateway deployment (a Deployment whose pod is injected with the
 * `gateway` template), object for object what the 1.23.4 `gateway` chart renders (deployment, service,
 * serviceaccount, role, rolebinding, hpa, pdb). The chart itself is not used: its values.schema.json is rejected by the
 * Helm embedded in @pulumi/kubernetes >= 4.24 (helm/helm#31160, istio/istio#57354; fixed in chart 1.26.4).
 *
 * Each gateway role is a subclass with its own type token (aks-mesh:ingress:IngressGateway today; an egress or
 * east-west gateway later), so `pulumi stack` names what a gateway is for and a URN never depends on another role.
 */
export abstract class GatewayWorkload extends pulumi.ComponentResource {
  /** Pod labels the Istio Gateway objects select. */
  readonly selector: Record<string, string>;
  /** Namespace of the gateway workload. */
  readonly namespace: string;
  /** Name of the Deployment and its Service. */
  readonly workloadName: string;
  /** Name of the ServiceAccount its pods run as (their mesh identity). */
  readonly serviceAccountName: string;
  /** The Namespace, when this component creates it. */
  readonly namespaceResource?: k8s.core.v1.Namespace;
  /**
   * What every object in the gateway namespace depends on: the Namespace when this component creates it (none for an
   * existing namespace), so such objects are created after it and deleted before it, never by a namespace deletion.
   */
  readonly namespaceReady: pulumi.Resource[];
  /** The Service. */
  readonly service: k8s.core.v1.Service;
  /** The Deployment. */
  readonly deployment: k8s.apps.v1.Deployment;

  protected constructor(
    type: string,
    /** The app.kubernetes.io/component label of every object. */
    component: string,
    name: string,
    args: GatewayWorkloadArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    this.namespace = args.namespace;
    this.workloadName = args.name;
    this.selector = gatewaySelector(args.name);
    const labels = meshLabels(component, { ...this.selector, "app.kubernetes.io/name": args.name });
    const metadata = { name: args.name, namespace: args.namespace, labels };

    this.namespaceResource = args.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-ns`,
          { metadata: { name: args.namespace, labels: meshLabels(component) } },
          { parent: this },
        )
      : undefined;
    this.namespaceReady = this.namespaceResource ? [this.namespaceResource] : [];
    const inNamespace = { parent: this, dependsOn: this.namespaceReady };

    const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata }, inNamespace);
    this.serviceAccountName = metadata.name;
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
                [INJECT_TEMPLATES_ANNOTATION]: "gateway",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "prometheus.io/path": "/stats/prometheus",
              },
              labels: {
                ...labels,
                [SIDECAR_INJECT]: "true",
                [REVISION_LABEL]: args.revision,
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
              // Spread replicas over zones and nodes so one failure never takes the whole gateway down.
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

    const svc = args.service;
    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { ...metadata, ...(svc.annotations ? { annotations: svc.annotations } : {}) },
        spec: {
          type: svc.type,
          ...(svc.externalTrafficPolicy ? { externalTrafficPolicy: svc.externalTrafficPolicy } : {}),
          ...(svc.loadBalancerSourceRanges?.length ? { loadBalancerSourceRanges: svc.loadBalancerSourceRanges } : {}),
          selector: this.selector,
          ports: svc.ports,
        },
      },
      { parent: this, dependsOn: [...inNamespace.dependsOn, ...(svc.dependsOn ?? [])] },
    );
  }
}
