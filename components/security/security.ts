import * as pulumi from "@pulumi/pulumi";
import type { MeshConfig } from "../../config";
import type { ClusterHandle } from "../cluster";
import type { GatewayHandle } from "../ingress/handle";
import type { ControlPlaneHandle } from "../istio/handle";
import type { MeshHandle } from "../mesh/handle";
import { Authorization } from "./authorization";
import { PROMETHEUS_CONTAINER_PORT } from "../observability/paths";
import { Certificates } from "./certificates";
import { Jwt, jwksFetches } from "./jwt";
import { NetworkPolicies } from "./network-policies";
import { Mtls } from "./mtls";

export interface SecurityArgs {
  /** The validated stack config; this area reads security and mesh.graph. */
  config: MeshConfig;
  handles: {
    cluster: ClusterHandle;
    /** "After istiod": the security CRDs are served; its namespace is the mesh root namespace. */
    controlPlane: ControlPlaneHandle;
    /** What an object in an application namespace waits for. */
    mesh: MeshHandle;
    /** The public ingress: its namespace, workload selector and Gateway (its principal calls the exposed services). */
    gateway: GatewayHandle;
    /**
     * The observability layer, when the stack runs it: its namespace (the NetworkPolicies wait for it) and its
     * Prometheus (the mTLS check's Job queries it).
     */
    observability?: {
      readonly namespace: string;
      readonly namespaceReady: pulumi.Resource[];
      readonly prometheusReady?: pulumi.Resource[];
    };
  };
}

/**
 * The security area: one child component per concern of aks-mesh:security (mTLS and its compatibility gate,
 * authorization, JWT, NetworkPolicies, certificates), each named after this component and created only when its
 * section asks for it.
 */
export class Security extends pulumi.ComponentResource {
  /** PeerAuthentications and the mTLS compatibility check (config security.mtls); undefined without the section. */
  readonly mtls?: Mtls;

  constructor(name: string, args: SecurityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:security:Security", name, {}, { ...opts, providers: [args.handles.cluster.provider] });
    const { config, handles } = args;

    const certificates = config.security.certificates;
    if (certificates) {
      new Certificates(
        `${name}-certificates`,
        {
          config: certificates,
          gatewayNamespace: handles.gateway.namespace,
          gatewayNamespaceReady: handles.gateway.namespaceReady,
        },
        { parent: this },
      );
    }
    if (config.security.networkPolicies.enabled) {
      new NetworkPolicies(
        `${name}-network-policies`,
        {
          config: config.security.networkPolicies,
          graph: config.mesh.graph,
          meshNamespaces: config.meshNamespaces.map((n) => n.name),
          handles,
        },
        { parent: this },
      );
    }

    const { authorization, jwt } = config.security;
    const graph = config.mesh.graph;
    const gateway = {
      namespace: handles.gateway.namespace,
      serviceAccount: handles.gateway.serviceAccount,
      selector: handles.gateway.selector,
    };
    const jwtInput = { config: jwt, graph, gateway };
    const monitoring = handles.observability;
    if (authorization.enabled) {
      new Authorization(
        `${name}-authorization`,
        {
          config: authorization,
          graph,
          meshNamespaces: config.meshNamespaces.map((n) => n.name),
          gateway,
          ...(monitoring ? { monitoringNamespace: monitoring.namespace } : {}),
          jwksFetches: jwksFetches(jwtInput),
          handles: {
            controlPlane: handles.controlPlane,
            mesh: handles.mesh,
            ...(monitoring ? { monitoringReady: monitoring.namespaceReady } : {}),
          },
        },
        { parent: this },
      );
    }
    if (jwt.rules.length > 0) {
      new Jwt(
        `${name}-jwt`,
        {
          ...jwtInput,
          handles: {
            controlPlane: handles.controlPlane,
            mesh: handles.mesh,
            gatewayReady: handles.gateway.namespaceReady,
          },
        },
        { parent: this },
      );
    }
    if (config.security.mtls) {
      const observability = handles.observability;
      // The monitoring namespace's default-deny would drop the check's queries to Prometheus.
      const admitToPrometheus =
        config.security.networkPolicies.enabled && observability
          ? {
              namespace: observability.namespace,
              port: PROMETHEUS_CONTAINER_PORT,
              dependsOn: observability.namespaceReady,
            }
          : undefined;
      this.mtls = new Mtls(
        `${name}-mtls`,
        {
          mtls: config.security.mtls,
          handles: {
            controlPlane: handles.controlPlane,
            mesh: handles.mesh,
            prometheusReady: handles.observability?.prometheusReady ?? [],
          },
          ...(admitToPrometheus ? { admitToPrometheus } : {}),
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
