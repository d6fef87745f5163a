// What the traffic area's component tests share: the program from the mesh to the traffic area, planned under the mock
// runtime with a stack's raw config and the installed revisions, and a reader of nested inputs.
import * as k8s from "@pulumi/kubernetes";
import { parseConfig } from "../../../config";
import type { InstalledRevision } from "../../../components/istio/handle";
import type { Harness } from "../../harness";
import { mockRuntime } from "../../harness";

/** Mesh, ingress and traffic for this raw config ("aks-mesh:<key>" -> JSON), istiod at these revisions. */
export async function planTraffic(raw: Record<string, string>, revisions: InstalledRevision[]): Promise<Harness> {
  const h = await mockRuntime();
  const { Traffic } = await import("../../../components/traffic");
  const { Ingress } = await import("../../../components/ingress");
  const { Mesh } = await import("../../../components/mesh");
  const { testCluster, testControlPlane } = await import("../../support/handles");
  const ready = [new k8s.core.v1.ConfigMap("istiod-ready", {})];
  const config = parseConfig(raw, { project: "aks-mesh", stack: "test" });
  const cluster = testCluster();
  const controlPlane = testControlPlane({ ready, revisions });
  const mesh = new Mesh("mesh", { config, handles: { cluster, controlPlane } }).handle;
  const gateway = new Ingress("ingress", { config, handles: { cluster, controlPlane, mesh } }).handle;
  new Traffic("traffic", { config, handles: { cluster, controlPlane, mesh, gateway } });
  await h.settle();
  return h;
}

/** The value at a dotted path ("spec.http.0.timeout"). */
export function at(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
}
