// What a service's traffic policy sets on the HTTP routes that send to it: timeout, retries and fault injection. The
// same fields go on its in-mesh VirtualService (<service>-mesh) and on its delegated public route (<service>-public,
// built by the ingress area), so a gateway caller and an in-mesh caller get the same behaviour.
import type { ServiceTrafficPolicy } from "../../config/traffic";
import { FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION, FAULT_EXPIRES_ANNOTATION } from "../../policy/contract";
import type { IstioSpecs } from "../shared";
import { serviceFqdn } from "../shared";

export type HttpRoute = NonNullable<IstioSpecs["VirtualService"]["http"]>[number];
export type VirtualServiceSpec = IstioSpecs["VirtualService"];

/** The route fields a service's policy sets (VirtualService http[]): timeout, retries, fault. Empty without them. */
export function routeSettings(t: ServiceTrafficPolicy | undefined): Pick<HttpRoute, "timeout" | "retries" | "fault"> {
  if (!t) return {};
  const { timeout, retries } = t.policy;
  const fault = t.fault;
  return {
    ...(timeout ? { timeout } : {}),
    ...(retries ? { retries: { ...retries } } : {}),
    ...(fault
      ? {
          fault: {
            ...(fault.delay
              ? { delay: { percentage: { value: fault.delay.percent }, fixedDelay: fault.delay.fixedDelay } }
              : {}),
            ...(fault.abort
              ? { abort: { percentage: { value: fault.abort.percent }, httpStatus: fault.abort.httpStatus } }
              : {}),
          },
        }
      : {}),
  };
}

/** Whether a service's policy sets anything on its routes. */
export function hasRouteSettings(t: ServiceTrafficPolicy | undefined): boolean {
  return Object.keys(routeSettings(t)).length > 0;
}

/** The annotations a VirtualService carrying the service's fault gets (the pack reads them), else none. */
export function faultAnnotations(t: ServiceTrafficPolicy | undefined): Record<string, string> {
  if (!t?.fault) return {};
  return {
    [FAULT_EXPIRES_ANNOTATION]: t.fault.expires,
    ...(t.fault.allowInProduction ? { [FAULT_ALLOWED_IN_PRODUCTION_ANNOTATION]: "true" } : {}),
  };
}

/** Name of a service's in-mesh VirtualService, in the service's namespace (its public delegate is <service>-public). */
export function meshRouteName(service: string): string {
  return `${service}-mesh`;
}

/**
 * The in-mesh VirtualService of a service: its cluster-local host, bound to the mesh (every sidecar calling it), one
 * route named after the service. The destination names no port: with several ports, Istio sends each request to the
 * port it came in on (pilot/pkg/networking/core/route/route.go GetDestinationCluster uses the listener port).
 */
export function meshVirtualServiceSpec(
  service: string,
  namespace: string,
  t: ServiceTrafficPolicy,
): VirtualServiceSpec {
  const host = serviceFqdn(service, namespace);
  return { hosts: [host], http: [{ name: service, route: [{ destination: { host } }], ...routeSettings(t) }] };
}
