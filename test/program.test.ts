// The program as index.ts wires it, for the committed prod stack, run in this process under the harness: orderings
// that only the wiring decides.
import path from "node:path";
import { type Harness, mockRuntime, ROOT } from "./harness";
import { readStackConfig } from "../tools/plan/stack-config";

let h: Harness;

beforeAll(async () => {
  const stack = readStackConfig(ROOT, "prod");
  h = await mockRuntime({
    stack: "prod",
    config: stack.config,
    secretKeys: stack.secretKeys,
    publicIpAddress: "20.249.144.238",
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(path.join(ROOT, "index.ts")) as () => unknown;
  program();
  await h.settle();
});

describe("objects in the gateway namespace the stack creates", () => {
  const namespaceUrn = () => h.one("kubernetes:core/v1:Namespace", "ingress-gateway-ns").urn;

  test("the public Gateway is created after the namespace and deleted before it", () => {
    expect(h.one("kubernetes:networking.istio.io/v1:Gateway", "public-gateway-gateway").dependsOn).toContain(
      namespaceUrn(),
    );
  });

  test("every application VirtualService is created after the namespace and deleted before it", () => {
    const routes = h
      .all("kubernetes:networking.istio.io/v1:VirtualService")
      .filter((r) => r.name.startsWith("app-routes-"));
    expect(routes.length).toBeGreaterThan(0);
    for (const vs of routes) expect(vs.dependsOn).toContain(namespaceUrn());
  });
});
