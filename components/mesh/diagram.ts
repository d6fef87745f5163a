// A picture of the mesh (plan/<stack>/mesh.mmd): the public gateway, its hosts, each route (host + prefix -> service),
// the services grouped by namespace, who calls whom, and what leaves the mesh. A Mermaid flowchart, drawn from the
// resolved service graph alone, so it shows what the stack declares (not what runs).
import type { HostEntry, ServiceGraph } from "../../config";

export interface MeshDiagramInput {
  /** The resolved graph (config mesh.graph). */
  graph: ServiceGraph;
  /** The application hosts with their routes resolved (config ingress.hosts). */
  hosts: readonly HostEntry[];
  /** The ingress gateway workload (config ingressGateway.name). */
  gatewayName: string;
  /** The stack, named in the header comment. */
  stack: string;
}

/** Mermaid text: one node per gateway, host, service, caller namespace and external host; edges as described above. */
export function meshDiagram({ graph, hosts, gatewayName, stack }: MeshDiagramInput): string {
  const lines = [
    `%% aks-mesh stack "${stack}": the service graph (aks-mesh:services) and its public routes, written by npm run plan.`,
    "flowchart LR",
  ];
  const serviceId = new Map(Object.keys(graph.services).map((name, i) => [name, `svc${i}`]));
  const namespaceId = new Map(Object.keys(graph.namespaces).map((ns, i) => [ns, `ns${i}`]));

  lines.push(`  gateway{{${label(`${gatewayName}<br/>${graph.gatewayNamespace}`)}}}`);
  hosts.forEach((h, i) => {
    lines.push(`  host${i}([${label(h.host)}])`, `  gateway --> host${i}`);
  });

  for (const ns of Object.values(graph.namespaces)) {
    const kind = ns.inMesh ? "" : " (outside the mesh)";
    lines.push(`  subgraph ${namespaceId.get(ns.name)}[${label(`namespace ${ns.name}${kind}`)}]`);
    for (const name of ns.services) {
      const s = graph.services[name];
      if (!s) continue;
      const ports = s.ports.map((p) => `${p.port}/${p.protocol}`).join(" ");
      const versions = s.versions.length > 0 ? `<br/>versions ${s.versions.join(", ")}` : "";
      lines.push(`    ${serviceId.get(name)}[${label(`${name}<br/>${ports}${versions}`)}]`);
    }
    lines.push("  end");
  }

  hosts.forEach((h, i) => {
    for (const r of h.routes) {
      lines.push(`  host${i} -->|${label(`${r.prefix} :${r.port}`)}| ${serviceId.get(r.service)}`);
    }
  });

  // Who may call whom: a caller service, or every workload of a caller namespace (drawn from the namespace's box).
  for (const s of Object.values(graph.services)) {
    const callee = serviceId.get(s.name);
    for (const caller of s.callers.services) lines.push(`  ${serviceId.get(caller)} --> ${callee}`);
    for (const ns of s.callers.namespaces) lines.push(`  ${namespaceId.get(ns)} --> ${callee}`);
  }

  if (graph.monitoringNamespace) {
    const monitored = Object.values(graph.services).filter((s) => s.callers.monitoring);
    if (monitored.length > 0) lines.push(`  monitoring[(${label(`monitoring<br/>${graph.monitoringNamespace}`)})]`);
    for (const s of monitored) lines.push(`  monitoring -.-> ${serviceId.get(s.name)}`);
  }

  const externalId = new Map<string, string>();
  for (const s of Object.values(graph.services)) {
    for (const e of s.external) {
      const key = `${e.host}:${e.port}`;
      if (!externalId.has(key)) {
        externalId.set(key, `ext${externalId.size}`);
        lines.push(`  ${externalId.get(key)}>${label(`${e.host}:${e.port}/${e.protocol}`)}]`);
      }
      lines.push(`  ${serviceId.get(s.name)} -.-> ${externalId.get(key)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** A quoted Mermaid label; a double quote inside (a path may hold one) as its entity code. */
function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}
