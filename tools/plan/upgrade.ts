// npm run plan -- <stack> --upgrade-to X.Y.Z: prints the hop plan (policy/upgrade.ts) from the Istio the stack
// installs (aks-mesh:istio.version) and the cluster's Kubernetes version (aks-mesh:cluster.create.kubernetesVersion
// for a cluster the stack creates; for an existing one, what its read reports: --cluster-version, else the simulated
// cluster's) to the target. Writes no plan files. Exit 0 with the steps, 2 with the reason no path exists.
import { clusterSection } from "../../config/cluster";
import { istioSection, stableRevision } from "../../config/istio";
import { isoDate } from "../../policy/compatibility";
import { CANARY_UPGRADE_SOURCE, type UpgradeCluster, upgradePath, type UpgradeStep } from "../../policy/upgrade";
import type { StackConfig } from "./stack-config";
import { SIMULATED_KUBERNETES_VERSION } from "./world";

/** The lines to print and the exit code. */
export interface UpgradeReport {
  code: 0 | 2;
  lines: string[];
}

function section(stack: StackConfig, key: string): unknown {
  const text = stack.config[`${stack.project}:${key}`];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The hop plan of `stack` to Istio `to` on `today`; `clusterVersion` is --cluster-version. */
export function upgradeReport(stack: StackConfig, file: string, to: string, today: string, clusterVersion?: string): UpgradeReport {
  const istio = istioSection.safeParse(section(stack, "istio") ?? {});
  const cluster = clusterSection.safeParse(section(stack, "cluster"));
  if (!istio.success || !cluster.success) {
    const issue = (istio.error ?? cluster.error)?.issues[0];
    const where = istio.success ? "cluster" : "istio";
    const keyPath = [where, ...(issue?.path ?? []).map(String)].join(".");
    return { code: 2, lines: [`plan: ${file}: ${stack.project}:${keyPath}: ${issue?.message ?? "invalid"} (stack "${stack.stack}")`] };
  }
  const c = cluster.data;
  const created = c.mode === "create" && c.create !== undefined;
  const kubernetes = created
    ? (c.create?.kubernetesVersion ?? "")
    : (clusterVersion ?? SIMULATED_KUBERNETES_VERSION);
  const k8sSource = created
    ? `${stack.project}:cluster.create.kubernetesVersion`
    : clusterVersion
      ? "the cluster read, --cluster-version"
      : `the simulated cluster read; yours: --cluster-version "$(az aks show -g ${c.resourceGroup} -n ${c.name} --query currentKubernetesVersion -o tsv)"`;
  const target: UpgradeCluster = created ? { mode: "create" } : { mode: "existing", resourceGroup: c.resourceGroup, name: c.name };
  // From the stable revision: during a hop the canary is the first step of the path.
  const from = { istio: stableRevision(istio.data).version, kubernetes };
  const path = upgradePath(from, to, today, target);
  const head = `Hop plan of stack "${stack.stack}" on ${today}: Istio ${from.istio} (the stable revision, ${stack.project}:istio) on Kubernetes ${kubernetes} (${k8sSource}) to Istio ${to}`;
  if (!path.ok) return { code: 2, lines: [head, `plan: no upgrade path: ${path.reason}`] };

  const lines = [head];
  if (path.steps.length === 0) {
    lines.push("  Nothing to do: the stack already runs it, inside both tables.");
  } else {
    lines.push(
      `  ${path.steps.length} steps; Istio hops of at most 2 minors (${CANARY_UPGRADE_SOURCE}), AKS upgrades one minor at a time. ` +
        "AKS's offer is today's: run this again before each step.",
    );
  }
  if (path.start.length > 0) {
    lines.push(`  Start is outside the tables: ${path.start.join("; ")}. ${path.insideAfter > 1 ? `Steps 1–${path.insideAfter} bring` : "Step 1 brings"} it inside.`);
  }
  path.steps.forEach((step, i) => lines.push("", ...stepLines(step, i + 1)));
  if (path.notes.length > 0) lines.push("", ...path.notes.map((n) => `Then: ${n}`));
  return { code: 0, lines };
}

function stepLines(step: UpgradeStep, n: number): string[] {
  const title =
    step.kind === "istio"
      ? `${n}. Istio ${step.from} -> ${step.to} (${step.minors === 0 ? "patch" : `${step.minors} minor${step.minors > 1 ? "s" : ""}`}, canary revision ${step.toRevision}) on Kubernetes ${step.after.kubernetes}`
      : `${n}. Kubernetes ${step.from} -> ${step.to} under Istio ${step.after.istio}${step.offer ? ` (AKS: ${step.offer.plan === "KubernetesOfficial" ? "standard support" : "LTS only,"} until ${step.offer.until})` : ""}`;
  return [
    title,
    ...step.change.map((c) => `   change:   ${c}`),
    ...step.check.map((c) => `   check:    ${c}`),
    ...step.rollback.map((c) => `   rollback: ${c}`),
    ...step.notes.map((c) => `   note:     ${c}`),
  ];
}

/** Today (UTC), the day AKS's offer is judged on. */
export function today(): string {
  return isoDate(new Date());
}
