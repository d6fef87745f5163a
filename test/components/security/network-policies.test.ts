// The NetworkPolicies as the program writes them for the committed dev stack (NetworkPolicies on): what reaches the
// engine, and the order it applies them in.
import path from "node:path";
import { type Harness, mockRuntime, ROOT } from "../../harness";
import { readStackConfig } from "../../../tools/plan/stack-config";

let h: Harness;

beforeAll(async () => {
  const stack = readStackConfig(ROOT, "dev");
  h = await mockRuntime({ stack: "dev", config: stack.config, secretKeys: stack.secretKeys });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(path.join(ROOT, "index.ts")) as () => unknown;
  program();
  await h.settle();
});

const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
/**
 * The security area's NetworkPolicies: the global rate limiter writes its own, in its namespace outside the mesh
 * (components/traffic/global-rate-limiter.ts; test/components/traffic/global-rate-limit.test.ts).
 */
const securityPolicies = () => h.all(NETWORK_POLICY).filter((r) => !r.urn.includes("aks-mesh:traffic:GlobalRateLimit"));
const metadataOf = (r: { inputs: Record<string, unknown> }) =>
  r.inputs.metadata as { name: string; namespace: string; labels: Record<string, string> };

test("writes a default-deny ingress NetworkPolicy in each application namespace and in the monitoring one", () => {
  const denies = h
    .all(NETWORK_POLICY)
    .filter((r) => metadataOf(r).name === "default-deny-ingress")
    .map((r) => metadataOf(r).namespace);
  expect(denies.sort()).toEqual(["keycloak", "monitoring", "shop"]);
});

test("creates each application namespace's policies after the namespace, and the monitoring ones after theirs", () => {
  const monitoring = h.one("kubernetes:core/v1:Namespace", "observability-ns").urn;
  for (const r of securityPolicies()) {
    const ns = metadataOf(r).namespace;
    const expected =
      ns === "monitoring" ? monitoring : h.one("kubernetes:core/v1:Namespace", `mesh-namespaces-${ns}`).urn;
    expect(r.dependsOn).toContain(expected);
  }
});

test("labels every NetworkPolicy as the stack's own", () => {
  for (const r of h.all(NETWORK_POLICY)) {
    expect(metadataOf(r).labels).toMatchObject({ "app.kubernetes.io/part-of": "aks-mesh" });
  }
});

test("places them under the security area, in the NetworkPolicies component", () => {
  const component = h.one("aks-mesh:security:NetworkPolicies", "security-network-policies");
  expect(component.parent).toBe(h.one("aks-mesh:security:Security", "security").urn);
  // The mTLS check admits its own Job to Prometheus with a NetworkPolicy of its own (components/security/mtls-check.ts).
  for (const r of securityPolicies().filter((n) => !n.name.startsWith("security-mtls-check"))) {
    expect(r.parent).toBe(component.urn);
  }
});
