// The Kubernetes/Istio compatibility through the real plan CLI: a created cluster outside the table stops the plan
// at config time (exit 2, the key, what to choose, no stack trace); an existing one outside it still plans, with the
// advisory on the cluster its read describes (--cluster-version sets what the simulated cluster reports).
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { planCli, ROOT, tempDir } from "../harness";

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

interface Violation {
  policy: string;
  enforcementLevel: string;
  urn: string;
  message: string;
}

test("refuses dev's cluster on Kubernetes 1.30 under Istio 1.23.4: exit 2, the key and what to choose instead", async () => {
  const dev = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, Record<string, unknown>>;
  };
  const cluster = dev.config["aks-mesh:cluster"] as { create: Record<string, unknown> };
  cluster.create.kubernetesVersion = "1.30";
  (dev.config["aks-mesh:istio"] as Record<string, unknown>).version = "1.23.4";
  const file = path.join(tempDir("old-dev-"), "Pulumi.dev.yaml");
  fs.writeFileSync(file, YAML.stringify(dev));
  const out = path.join(tempDir("out-"), "plan");

  const result = await planCli(["dev", "--config", file, "--out", out]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`Invalid configuration in ${file} (stack "dev")`);
  expect(result.stderr).toMatch(/aks-mesh:cluster\.create\.kubernetesVersion: Kubernetes 1\.30 is no longer offered by AKS/);
  expect(result.stderr).toMatch(/move aks-mesh:istio\.version to 1\.2\d\.\d+ or later/);
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(fs.existsSync(path.join(out, "resources.json"))).toBe(false);
});

test("plans prod on a cluster the read reports at 1.30.14 with exit 0 and the advisory on that cluster", async () => {
  const out = tempDir("prod-130-");
  const result = await planCli(["prod", "--out", out, "--cluster-version", "1.30.14"]);
  expect(result.code).toBe(0);
  const violations = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8")) as Violation[];
  const advisory = violations.filter((v) => v.policy === "istio-supports-cluster-kubernetes-version");
  expect(advisory).toHaveLength(1);
  expect(advisory[0]).toMatchObject({
    enforcementLevel: "advisory",
    urn: "urn:pulumi:prod::aks-mesh::aks-mesh:cluster:ExistingCluster::cluster",
  });
  expect(advisory[0]?.message).toMatch(/Kubernetes 1\.30\.14 \(as the cluster read reports\) under Istio 1\.23\.4/);
  expect(advisory[0]?.message).toMatch(/AKS no longer supports Kubernetes 1\.30/);
});

test("refuses a --cluster-version that is not a Kubernetes version", async () => {
  const result = await planCli(["prod", "--cluster-version", "latest"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--cluster-version must be a Kubernetes version such as 1.32.7 (got latest)");
});
