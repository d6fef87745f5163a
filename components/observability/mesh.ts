// Which tools run with an Envoy sidecar. The monitoring namespace is enrolled like every namespace of the stack
// (istio.io/rev, as the policy pack requires), and every tool's pods carry an explicit label on top: the revision label
// for the tools in the mesh, sidecar.istio.io/inject=false for those that must stay out (the injector honours it).
// A pod that someone adds without a label gets a sidecar, the safe default for the mesh.
//
// In the mesh — the two UIs people log in to, reached only through the ingress gateway: with a sidecar the hop from
// the gateway is mutual TLS (their login token/password never crosses the cluster network in clear) and the security
// layer can restrict them to the gateway's identity with an AuthorizationPolicy.
//   grafana: its dashboard-download init container starts before the sidecar, so its HTTPS (443) egress is excluded
//            from the redirect (Istio's documented caveat for application init containers).
//   kiali:   reads istiod's debug endpoints and the Kubernetes API, both reachable from inside the mesh.
// Out of the mesh:
//   prometheus/alertmanager/kube-state-metrics/node-exporter: Prometheus scrapes every sidecar's merged metrics on
//            the plain-text port 15020 (outside mTLS by design); a sidecar would intercept its scrapes. node-exporter
//            runs on the host network, where injection does not apply.
//   jaeger:  a sidecar would trace the span uploads it receives, feeding its own traffic back into itself.
//   loki/alloy: the log pipeline must keep working when the mesh is what is broken.
import { SIDECAR_INJECT } from "../../policy/contract";
import { REVISION_LABEL } from "../istio";

export const SIDECAR = {
  grafana: true,
  kiali: true,
  prometheus: false,
  jaeger: false,
  loki: false,
  alloy: false,
} as const;

export type MeshedTool = keyof typeof SIDECAR;

/** Pod labels that put a tool in (revision label) or out (inject=false) of the mesh. */
export function sidecarLabels(tool: MeshedTool, revision: string): Record<string, string> {
  return SIDECAR[tool] ? { [REVISION_LABEL]: revision } : { [SIDECAR_INJECT]: "false" };
}
