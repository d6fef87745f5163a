// Both committed stacks planned end to end through the real CLI (`npm run plan -- <stack> --out DIR`), and the plan
// contract checked on what it wrote.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { PlannedResource as Planned } from "../../tools/plan/contract";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

interface Plan {
  cli: CliResult;
  resources: Planned[];
  manifests: Record<string, unknown>[];
  /** mesh.mmd, "" when the plan did not write it. */
  diagram: string;
  raw: string;
}

const plans: Record<string, Plan> = {};

beforeAll(async () => {
  // One plan at a time: each is CPU-bound, so running them side by side only adds contention.
  for (const stack of ["dev", "prod"]) {
    const out = tempDir(`plan-${stack}-`);
      const cli = await planCli([stack, "--out", out]);
      const rawResources = fs.existsSync(path.join(out, "resources.json"))
        ? fs.readFileSync(path.join(out, "resources.json"), "utf8")
        : "[]";
      const rawManifests = fs.existsSync(path.join(out, "manifests.yaml"))
        ? fs.readFileSync(path.join(out, "manifests.yaml"), "utf8")
        : "";
      const diagram = path.join(out, "mesh.mmd");
      plans[stack] = {
        cli,
        diagram: fs.existsSync(diagram) ? fs.readFileSync(diagram, "utf8") : "",
        resources: JSON.parse(rawResources) as Planned[],
        manifests: YAML.parseAllDocuments(rawManifests).map((d) => d.toJS() as Record<string, unknown>),
        raw: rawResources + rawManifests + cli.stdout + cli.stderr,
      };
  }
});

/** Prod stays on the version it runs until its owner moves it; dev runs the lowest Istio AKS can host (README). */
const ISTIO: Record<string, string> = { dev: "1.25.5", prod: "1.23.4" };

const plan = (stack: string) => plans[stack] as Plan;
const byType = (stack: string, type: string) => plan(stack).resources.filter((r) => r.type === type);
const one = (stack: string, type: string, name: string) => {
  const found = byType(stack, type).filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`${stack}: expected one ${type} named ${name}, found ${found.length}`);
  return found[0] as Planned;
};

describe.each(["dev", "prod"])("the %s plan", (stack) => {
  test("exits 0 and prints the component tree", () => {
    expect(plan(stack).cli.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(plan(stack).cli.code).toBe(0);
    expect(plan(stack).cli.stdout).toMatch(new RegExp(`^Plan of stack "${stack}"`, "m"));
    expect(plan(stack).cli.stdout).toContain("aks-mesh:istio:IstioControlPlane istio");
  });

  test("writes resources.json in the contract's shape", () => {
    const keys = ["urn", "type", "name", "parent", "dependsOn", "protect", "aliases", "inputs"];
    for (const r of plan(stack).resources) {
      expect(Object.keys(r).filter((k) => k !== "importId" && k !== "simulated")).toEqual(keys);
      expect(r.urn).toMatch(new RegExp(`^urn:pulumi:${stack}::aks-mesh::`));
      expect(Array.isArray(r.dependsOn)).toBe(true);
      expect(Array.isArray(r.aliases)).toBe(true);
      expect(typeof r.protect).toBe("boolean");
    }
  });

  test("writes mesh.mmd: each public host's routes to the services of the stack's graph", () => {
    const { diagram } = plan(stack);
    expect(diagram).toMatch(/^flowchart LR$/m);
    const routes = [...diagram.matchAll(/^ {2}host\d+ -->\|"([^"]+)"\| svc\d+$/gm)].map((m) => m[1]);
    const declared = YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
      config: { "aks-mesh:ingress": { hosts: { routes: unknown[] }[] } };
    };
    expect(routes).toHaveLength(declared.config["aks-mesh:ingress"].hosts.flatMap((h) => h.routes).length);
  });

  test("names parents and dependencies by URNs of resources in the plan", () => {
    const urns = new Set(plan(stack).resources.map((r) => r.urn));
    for (const r of plan(stack).resources) {
      if (r.parent !== null) expect(urns).toContain(r.parent);
      for (const d of r.dependsOn) expect(urns).toContain(d);
    }
  });

  test("writes every directly declared Kubernetes object to manifests.yaml, and no Helm release", () => {
    const declared = plan(stack).resources.filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"),
    );
    expect(plan(stack).manifests).toHaveLength(declared.length);
    for (const m of plan(stack).manifests) {
      expect(Object.keys(m).slice(0, 3)).toEqual(["apiVersion", "kind", "metadata"]);
      expect((m.metadata as { name?: string }).name).toBeTruthy();
    }
  });

  test("pins base before istiod, both at the stack's Istio version from the official Istio repository", () => {
    const releases = byType(stack, "kubernetes:helm.sh/v3:Release");
    const base = releases.find((r) => r.inputs.chart === "base") as Planned;
    const istiod = releases.find((r) => r.inputs.chart === "istiod") as Planned;
    for (const r of [base, istiod]) {
      expect(r.inputs.version).toBe(ISTIO[stack]);
      expect(r.inputs.repositoryOpts).toEqual({ repo: "https://istio-release.storage.googleapis.com/charts" });
    }
    expect(istiod.dependsOn).toContain(base.urn);
  });

  test("installs no gateway Helm chart, whose 1.23 schema the provider's Helm rejects", () => {
    expect(byType(stack, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart)).not.toContain("gateway");
  });

  test("creates the gateway pods only after istiod, and binds its Service to the static IP", () => {
    const istiod = byType(stack, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "istiod") as Planned;
    expect(one(stack, "kubernetes:apps/v1:Deployment", "ingress-gateway-deployment").dependsOn).toContain(istiod.urn);
    const ip = one(stack, "azure-native:network:PublicIPAddress", "ingress-ip-pip");
    const service = one(stack, "kubernetes:core/v1:Service", "ingress-gateway-service");
    expect(service.dependsOn).toContain(ip.urn);
    expect((service.inputs.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({
      "service.beta.kubernetes.io/azure-pip-name": ip.inputs.publicIpAddressName,
    });
  });

  test("keeps the static IP protected", () => {
    expect(one(stack, "azure-native:network:PublicIPAddress", "ingress-ip-pip").protect).toBe(true);
  });

  test("uses only the v1 Istio APIs (EnvoyFilter has no other than v1alpha3)", () => {
    const istio = plan(stack).manifests.filter((m) => String(m.apiVersion).includes("istio.io/"));
    expect(istio.length).toBeGreaterThan(0);
    for (const m of istio) {
      expect(String(m.apiVersion)).toMatch(m.kind === "EnvoyFilter" ? /^networking\.istio\.io\/v1alpha3$/ : /\/v1$/);
    }
  });

  test("declares Istio objects the Istio schemas accept", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "test", "support", "validate-istio.mjs")], {
      input: JSON.stringify(plan(stack).manifests),
      cwd: ROOT,
    }).toString();
    const result = JSON.parse(out) as { checked: number; problems: unknown[] };
    expect(result.problems).toEqual([]);
    expect(result.checked).toBeGreaterThan(0);
  });

  test("binds every VirtualService to a Gateway the plan declares", () => {
    const gateways = new Set(
      plan(stack)
        .manifests.filter((m) => m.kind === "Gateway")
        .map((g) => `${(g.metadata as { namespace: string }).namespace}/${(g.metadata as { name: string }).name}`),
    );
    for (const vs of plan(stack).manifests.filter((m) => m.kind === "VirtualService")) {
      for (const g of (vs.spec as { gateways?: string[] }).gateways ?? []) if (g !== "mesh") expect(gateways).toContain(g);
    }
  });

  test("labels the application namespaces for this revision's injector", () => {
    const namespaces = plan(stack).manifests.filter((m) => m.kind === "Namespace");
    const enrolled = namespaces.filter((n) => (n.metadata as { labels?: Record<string, string> }).labels?.["istio.io/rev"]);
    expect(enrolled.length).toBeGreaterThan(0);
    const revision = (ISTIO[stack] as string).replace(/\./g, "-");
    for (const n of enrolled) expect((n.metadata as { labels: Record<string, string> }).labels["istio.io/rev"]).toBe(revision);
  });
});

describe("the prod plan describes the running production mesh", () => {
  test("adopts the existing IP from its resource id instead of creating one", () => {
    const ip = one("prod", "azure-native:network:PublicIPAddress", "ingress-ip-pip");
    expect(ip.importId).toMatch(/\/providers\/Microsoft\.Network\/publicIPAddresses\/pip-istio-ingress-prod$/);
    expect(plan("prod").cli.stdout).toContain('ingressIp: "20.249.144.238"');
  });

  test("limits every sidecar to 1Gi of memory", () => {
    const istiod = byType("prod", "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "istiod") as Planned;
    const proxy = (istiod.inputs.values as { global: { proxy: { resources: { limits: { memory: string } } } } }).global.proxy;
    expect(proxy.resources.limits.memory).toBe("1Gi");
  });

  test("runs at least two gateway replicas behind a PodDisruptionBudget", () => {
    const hpa = one("prod", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "ingress-gateway-hpa");
    expect((hpa.inputs.spec as { minReplicas: number }).minReplicas).toBeGreaterThanOrEqual(2);
    expect(one("prod", "kubernetes:policy/v1:PodDisruptionBudget", "ingress-gateway-pdb").inputs.spec).toMatchObject({
      minAvailable: 1,
    });
  });

  test("reads the existing cluster rather than creating one", () => {
    expect(byType("prod", "azure-native:containerservice:ManagedCluster")).toHaveLength(0);
  });
});

describe("the dev plan creates its own cluster", () => {
  test("asks AKS for Kubernetes 1.32 under long-term support, the Premium tier it needs", () => {
    expect(one("dev", "azure-native:containerservice:ManagedCluster", "cluster-aks").inputs).toMatchObject({
      kubernetesVersion: "1.32",
      sku: { name: "Base", tier: "Premium" },
      supportPlan: "AKSLongTermSupport",
    });
  });

  test("declares the AKS cluster and exports its kubeconfig only as a secret", () => {
    expect(byType("dev", "azure-native:containerservice:ManagedCluster")).toHaveLength(1);
    expect(plan("dev").cli.stdout).toContain('kubeconfig: "[secret]"');
    expect(plan("dev").raw).not.toContain("kubelogin");
    expect(plan("dev").raw).not.toContain("certificate-authority-data");
  });
});
