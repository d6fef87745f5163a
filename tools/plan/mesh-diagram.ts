// plan/<stack>/mesh.mmd: the picture of the mesh (components/mesh/diagram.ts), drawn from the stack's validated config.
import { meshDiagram } from "../../components/mesh/diagram";
import { parseConfig } from "../../config";
import type { StackConfig } from "./stack-config";

/** The Mermaid text of a stack whose program ran (its config is valid). */
export function meshDiagramOf(stack: StackConfig): string {
  const config = parseConfig(stack.config, { project: stack.project, stack: stack.stack });
  return meshDiagram({
    graph: config.mesh.graph,
    hosts: config.ingress.hosts,
    gatewayName: config.ingressGateway.name,
    stack: stack.stack,
  });
}
