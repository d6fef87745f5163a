// The footprint report (plan/<stack>/footprint.json and the summary's section): policy/proxy/footprint.ts's figures
// for the main pass, read as the pack reads resources in AnalyzeStack (custom resources' inputs, which the simulated
// provider echoes, and components' registered outputs). docs/offline-plan.md documents the file.
import { type Amount, type Footprint, type FootprintResource, meshFootprint } from "../../policy/proxy/footprint";
import type { EngineRecord } from "../policy-host";
import { plainValue } from "./contract";
import type { RecordedResource } from "./monitor";

export function planFootprint(resources: RecordedResource[], engine: EngineRecord): Footprint {
  const view: FootprintResource[] = resources.map((r) => ({
    type: r.type,
    urn: r.urn,
    props: plainValue(r.custom ? r.inputs : (engine.details[r.urn]?.outputs ?? {})) as Record<string, unknown>,
  }));
  return meshFootprint(view);
}

/** footprint.json: the report as computed, with the method of the estimate. */
export function footprintJson(f: Footprint): string {
  const note =
    "CPU (millicores) and memory (MiB) the mesh's pods request and may use (limits), not what they use: a plan " +
    "cannot measure usage. Shares are of the node pool's allocatable, estimated as nodePool.allocatable.method says.";
  return `${JSON.stringify({ note, ...f }, null, 2)}\n`;
}

const cpu = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(m % 1000 === 0 ? 0 : 2)} CPU` : `${m}m CPU`);
const mem = (mib: number) => (mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib} MiB`);
const amount = (a: Amount) => `${cpu(a.cpuMillis)}, ${mem(a.memoryMiB)}`;
const range = (min: number, max: number) => (min === max ? `${min}` : `${min}-${max}`);

/** The summary's section: per item, the totals, and the share of the pool. */
export function footprintLines(f: Footprint): string[] {
  const lines = ["Mesh footprint (requests / limits; plan/<stack>/footprint.json has the method):"];
  for (const i of f.items) {
    lines.push(
      `  ${i.kind.padEnd(8)} ${i.name}: ${range(i.replicas.min, i.replicas.max)} x (${amount(i.requests)} / ${amount(i.limits)})` +
        (i.unset.length > 0 ? ` [unset: ${i.unset.join(", ")}]` : ""),
    );
  }
  const t = f.totals;
  lines.push(
    `  Envoy total: requests ${amount(t.envoy.min.requests)} to ${amount(t.envoy.max.requests)}; limits ${amount(t.envoy.min.limits)} to ${amount(t.envoy.max.limits)}`,
    `  Mesh total:  requests ${amount(t.mesh.min.requests)} to ${amount(t.mesh.max.requests)}; limits ${amount(t.mesh.min.limits)} to ${amount(t.mesh.max.limits)}`,
  );
  if ("unknown" in f.nodePool) {
    lines.push(`  Share of the node pool: unknown (${f.nodePool.unknown})`);
  } else if (f.share) {
    const a = f.nodePool.allocatable;
    const s = f.share;
    lines.push(
      `  Node pool: ${f.nodePool.pool.count} x ${f.nodePool.pool.vmSize}, allocatable about ${amount(a.pool)} (${amount(a.perNode)} per node, estimated)`,
      `  Envoy share at min-max replicas: requests CPU ${s.envoy.min.requests.cpu}-${s.envoy.max.requests.cpu}%, memory ${s.envoy.min.requests.memory}-${s.envoy.max.requests.memory}%; ` +
        `limits CPU ${s.envoy.min.limits.cpu}-${s.envoy.max.limits.cpu}%, memory ${s.envoy.min.limits.memory}-${s.envoy.max.limits.memory}%`,
      `  Mesh share at min-max replicas:  requests CPU ${s.mesh.min.requests.cpu}-${s.mesh.max.requests.cpu}%, memory ${s.mesh.min.requests.memory}-${s.mesh.max.requests.memory}%; ` +
        `limits CPU ${s.mesh.min.limits.cpu}-${s.mesh.max.limits.cpu}%, memory ${s.mesh.min.limits.memory}-${s.mesh.max.limits.memory}%`,
    );
  }
  lines.push(`  Sidecars: ${f.sidecarEstimate}.`);
  return lines;
}
