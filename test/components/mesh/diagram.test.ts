// plan/<stack>/mesh.mmd: the Mermaid picture of the graph, as a pure function of the validated config.
import { meshDiagram } from "../../../components/mesh/diagram";
import { parseConfig } from "../../../config";

const raw = {
  "aks-mesh:environment": "development",
  "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
  "aks-mesh:ingress": JSON.stringify({
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          { prefix: "/api", service: "api" },
          { prefix: "/", service: "web" },
        ],
      },
    ],
  }),
  "aks-mesh:services": JSON.stringify({
    web: { namespace: "front", ports: [{ port: 80, protocol: "http" }], versions: ["v1"] },
    api: {
      namespace: "back",
      ports: [{ port: 8080, protocol: "http" }],
      callers: { services: ["web"], namespaces: ["reports"] },
      external: [{ host: "pay.example.com" }],
    },
  }),
  "aks-mesh:meshNamespaces": JSON.stringify([{ name: "front" }, { name: "back" }]),
  "aks-mesh:outsideMeshNamespaces": JSON.stringify([{ name: "reports", reason: "batch jobs without sidecars" }]),
};

const config = parseConfig(raw, { project: "aks-mesh", stack: "test" });
const lines = meshDiagram({
  graph: config.mesh.graph,
  hosts: config.ingress.hosts,
  gatewayName: config.ingressGateway.name,
  stack: "test",
}).split("\n");

/** The node id of the line that declares `text` (the id is whatever precedes the label). */
const idOf = (text: string) => {
  const line = lines.find((l) => l.includes(`"${text}`));
  if (!line) throw new Error(`no node labelled ${text}`);
  return line
    .trim()
    .replace(/^subgraph /, "")
    .split(/[[({>]/)[0];
};

test("is a Mermaid flowchart", () => {
  expect(lines.find((l) => !l.startsWith("%%"))).toBe("flowchart LR");
});

test("draws the gateway serving each host", () => {
  expect(lines).toContain(`  gateway --> ${idOf("shop.example.com")}`);
  expect(lines.find((l) => l.startsWith("  gateway{{"))).toContain("istio-ingressgateway<br/>istio-ingress");
});

test("draws each route from its host to its service, labelled with the prefix and port", () => {
  expect(lines).toContain(`  ${idOf("shop.example.com")} -->|"/api :8080"| ${idOf("api<br/>")}`);
  expect(lines).toContain(`  ${idOf("shop.example.com")} -->|"/ :80"| ${idOf("web<br/>")}`);
});

test("groups the services by namespace, and says which namespaces are outside the mesh", () => {
  const start = lines.indexOf(`  subgraph ${idOf("namespace front")}["namespace front"]`);
  expect(start).toBeGreaterThan(0);
  expect(lines[start + 1]).toBe(`    ${idOf("web<br/>")}["web<br/>80/http<br/>versions v1"]`);
  expect(lines[start + 2]).toBe("  end");
  expect(lines.some((l) => l.includes('"namespace reports (outside the mesh)"'))).toBe(true);
});

test("draws who calls whom: a caller service, and a caller namespace from its box", () => {
  expect(lines).toContain(`  ${idOf("web<br/>")} --> ${idOf("api<br/>")}`);
  expect(lines).toContain(`  ${idOf("namespace reports")} --> ${idOf("api<br/>")}`);
});

test("draws the external hosts a service calls", () => {
  expect(lines).toContain(`  ${idOf("api<br/>")} -.-> ${idOf("pay.example.com:443/tls")}`);
});

test("draws no monitoring node when the observability layer is off", () => {
  expect(lines.some((l) => l.includes("monitoring"))).toBe(false);
});
