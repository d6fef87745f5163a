// What config aks-mesh:security.mtls sends as PeerAuthentications: pure, so tests and the plan read the same objects.
// One mesh-wide policy (named default, in the control-plane namespace, no selector), one per namespace override
// (named default, no selector) and one per workload override (named after it, with its selector). Istio composes them
// from the most specific level down, UNSET inheriting (istio/istio 1.23 pilot/pkg/security/authn/policy_applier.go
// ComposePeerAuthentication).
import type { MtlsConfig } from "../../config/security/mtls";
import { MTLS_EXCEPTION_REASON_ANNOTATION, mtlsPortReasonAnnotation } from "../../policy/contract";
import type { IstioSpecs } from "../shared";

export type PeerAuthenticationSpec = IstioSpecs["PeerAuthentication"];

/** One PeerAuthentication to create. */
export interface PlannedPeerAuthentication {
  /** Suffix of the Pulumi resource name: "mesh", "ns-<namespace>", "wl-<name>". */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly annotations: Record<string, string>;
  readonly spec: PeerAuthenticationSpec;
  /** Whether it turns STRICT on, so it must wait for the compatibility check. */
  readonly strict: boolean;
}

/** Istio's conventional name of a mesh-wide or namespace-wide PeerAuthentication. */
export const DEFAULT_POLICY_NAME = "default";

export function peerAuthentications(mtls: MtlsConfig, rootNamespace: string): PlannedPeerAuthentication[] {
  const out: PlannedPeerAuthentication[] = [];
  if (mtls.mode) {
    out.push({
      id: "mesh",
      name: DEFAULT_POLICY_NAME,
      namespace: rootNamespace,
      annotations: {},
      spec: { mtls: { mode: mtls.mode } },
      strict: mtls.mode === "STRICT",
    });
  }
  for (const [namespace, o] of Object.entries(mtls.namespaces)) {
    out.push({
      id: `ns-${namespace}`,
      name: DEFAULT_POLICY_NAME,
      namespace,
      annotations: o.reason ? { [MTLS_EXCEPTION_REASON_ANNOTATION]: o.reason } : {},
      spec: { mtls: { mode: o.mode } },
      strict: o.mode === "STRICT",
    });
  }
  for (const [name, w] of Object.entries(mtls.workloads)) {
    const annotations: Record<string, string> = w.reason ? { [MTLS_EXCEPTION_REASON_ANNOTATION]: w.reason } : {};
    const portLevelMtls: NonNullable<PeerAuthenticationSpec["portLevelMtls"]> = {};
    for (const [port, p] of Object.entries(w.ports)) {
      portLevelMtls[port] = { mode: p.mode };
      annotations[mtlsPortReasonAnnotation(port)] = p.reason;
    }
    out.push({
      id: `wl-${name}`,
      name,
      namespace: w.namespace,
      annotations,
      spec: {
        selector: { matchLabels: { ...w.selector } },
        ...(w.mode ? { mtls: { mode: w.mode } } : {}),
        ...(Object.keys(portLevelMtls).length > 0 ? { portLevelMtls } : {}),
      },
      strict: w.mode === "STRICT",
    });
  }
  return out;
}
