import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type IstioSpecs, istioObject, meshLabels, serviceFqdn } from "../shared";
import { ENDPOINTS, type RoutedTool } from "./paths";

type HttpRoute = NonNullable<IstioSpecs["VirtualService"]["http"]>[number];

export type Exposure = "none" | "open" | "jwt";

export interface MonitoringRoutesArgs {
  /** Namespace of the VirtualService (the monitoring namespace, the routesNamespace of the host's Gateway server). */
  namespace: string;
  host: string;
  /** "<namespace>/<name>" of the public Gateway. */
  gatewayRef: string;
  /** Exposure of the tools without a login of their own (observability.prometheus.expose, alertmanager.expose). */
  prometheus: Exposure;
  alertmanager: Exposure;
  /** Exposure of Jaeger's UI and API (observability.jaeger.expose): no login of its own either. */
  jaeger: Exposure;
  /** Issuer checked for "jwt" exposure (observability.exposeAuth), with the gateway it is enforced on. */
  jwt?: { issuer: string; jwksUri: string; gatewayNamespace: string; gatewaySelector: Record<string, string> };
}

/** The tools routed on the monitoring host: Kiali and Grafana (their own logins) always, the others when exposed. */
export function routedTools(args: Pick<MonitoringRoutesArgs, "prometheus" | "alertmanager" | "jaeger">): RoutedTool[] {
  const tools: RoutedTool[] = ["kiali", "grafana"];
  if (args.jaeger !== "none") tools.push("jaeger");
  if (args.prometheus !== "none") tools.push("prometheus");
  if (args.alertmanager !== "none") tools.push("alertmanager");
  return tools;
}

/** One route per tool, by path prefix, to the tool's Service in the monitoring namespace; "/" goes to Grafana. */
export function monitoringHttpRoutes(namespace: string, tools: RoutedTool[]): HttpRoute[] {
  const routes: HttpRoute[] = tools.map((tool) => {
    const e = ENDPOINTS[tool];
    return {
      name: tool,
      match: [{ uri: { prefix: e.path } }],
      route: [{ destination: { host: serviceFqdn(e.service, namespace), port: { number: e.port } } }],
    };
  });
  routes.push({ name: "root", match: [{ uri: { exact: "/" } }], redirect: { uri: `${ENDPOINTS.grafana.path}/` } });
  return routes;
}

/**
 * The monitoring host's VirtualService, bound to the public Gateway. Tools exposed with "jwt" are guarded at the
 * gateway: a RequestAuthentication validates tokens of the configured issuer and a DENY AuthorizationPolicy refuses
 * their paths on this host to requests without a valid one (Istio's documented "require JWT on ingress" pattern).
 */
export class MonitoringRoutes extends pulumi.ComponentResource {
  readonly virtualService: k8s.apiextensions.CustomResource;
  /** The routed tools, in route order. */
  readonly tools: RoutedTool[];

  constructor(name: string, args: MonitoringRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-mesh:observability:MonitoringRoutes", name, {}, opts);
    this.tools = routedTools(args);
    const labels = meshLabels("observability");
    const childOpts = { parent: this, dependsOn: opts?.dependsOn };
    const guarded = (["prometheus", "alertmanager", "jaeger"] as const).filter((t) => args[t] === "jwt");
    this.virtualService = istioObject(
      "VirtualService",
      `${name}-vs`,
      {
        name: "monitoring",
        namespace: args.namespace,
        labels,
        spec: {
          hosts: [args.host],
          gateways: [args.gatewayRef],
          http: monitoringHttpRoutes(args.namespace, this.tools),
        },
      },
      childOpts,
    );

    if (guarded.length > 0) {
      if (!args.jwt)
        throw new Error(`MonitoringRoutes ${name}: "jwt" exposure needs the issuer (observability.exposeAuth)`);
      const selector = { matchLabels: args.jwt.gatewaySelector };
      istioObject(
        "RequestAuthentication",
        `${name}-jwt`,
        {
          name: "monitoring-jwt",
          namespace: args.jwt.gatewayNamespace,
          labels,
          spec: { selector, jwtRules: [{ issuer: args.jwt.issuer, jwksUri: args.jwt.jwksUri }] },
        },
        childOpts,
      );
      istioObject(
        "AuthorizationPolicy",
        `${name}-require-jwt`,
        {
          name: "monitoring-require-jwt",
          namespace: args.jwt.gatewayNamespace,
          labels,
          spec: {
            selector,
            action: "DENY",
            rules: [
              {
                from: [{ source: { notRequestPrincipals: ["*"] } }],
                to: [
                  {
                    operation: {
                      hosts: [args.host, `${args.host}:*`],
                      // "<prefix>*" refuses every path the route's uri prefix matches ("/prometheusX" included);
                      // the policy pack checks this coverage (monitoring-no-unauthenticated-prometheus).
                      paths: guarded.map((t) => `${ENDPOINTS[t].path}*`),
                    },
                  },
                ],
              },
            ],
          },
        },
        childOpts,
      );
    }
    this.registerOutputs({ tools: this.tools });
  }
}
