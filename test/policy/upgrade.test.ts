// The hop plan (policy/upgrade.ts): from an Istio/Kubernetes pair to a target Istio, canary hops of at most two minors
// (Istio's canary-upgrade docs) interleaved with AKS upgrades of one minor, every pair after the start inside Istio's
// support table and AKS's calendar. Every case passes its day, so no result depends on when the tests run.
import {
  aksOffer,
  compareMinors,
  ISTIO_RELEASES,
  istioRelease,
  istioSupportsKubernetes,
  minorOf,
} from "../../policy/compatibility";
import { type UpgradePath, upgradePath, type UpgradeStep } from "../../policy/upgrade";

/** The day the tables were read. */
const READ_DAY = "2026-11-30";
const NEWEST = ISTIO_RELEASES[0]?.checkedPatch as string;

function steps(path: UpgradePath): readonly UpgradeStep[] {
  if (!path.ok) throw new Error(`expected a path, got: ${path.reason}`);
  return path.steps;
}

const minorNumber = (v: string) => Number((minorOf(v) ?? "0.0").split(".")[1]);

test("walks 1.23.4 on Kubernetes 1.30 to the newest patch of the table", () => {
  const path = upgradePath({ istio: "1.23.4", kubernetes: "1.30.14" }, NEWEST, READ_DAY);
  const s = steps(path);
  expect(s[s.length - 1]?.after.istio).toBe(NEWEST);
  // Intermediate hops land on each row's checked patch.
  for (const step of s.filter((x) => x.kind === "istio" && x.to !== NEWEST)) {
    expect(step.to).toBe(istioRelease(step.to)?.checkedPatch);
  }
});

test("takes the fewest steps: ceil(minors / 2) hops and only the Kubernetes minors the target needs", () => {
  const s = steps(upgradePath({ istio: "1.23.4", kubernetes: "1.30" }, NEWEST, READ_DAY));
  const hops = s.filter((x) => x.kind === "istio").length;
  const upgrades = s.filter((x) => x.kind === "kubernetes").length;
  expect(hops).toBe(Math.ceil((minorNumber(NEWEST) - 23) / 2));
  const lowestTargetK8s = istioRelease(NEWEST)?.kubernetes[0] as string;
  expect(upgrades).toBe(minorNumber(lowestTargetK8s) - 30);
});

test("keeps every pair after the first that is inside both tables inside both, and before it inside Istio's", () => {
  const path = upgradePath({ istio: "1.23.4", kubernetes: "1.30" }, NEWEST, READ_DAY);
  if (!path.ok) throw new Error(path.reason);
  expect(path.start).toEqual([expect.stringMatching(/AKS no longer supports Kubernetes 1\.30/)]);
  expect(path.insideAfter).toBeGreaterThan(0);
  path.steps.forEach((step, i) => {
    expect(istioSupportsKubernetes(step.after.istio, step.after.kubernetes)).toBe(true);
    const offer = aksOffer(step.after.kubernetes, READ_DAY);
    if (i + 1 >= path.insideAfter) expect(offer.offered).toBe(true);
    else expect(offer).toMatchObject({ offered: false, reason: "retired" });
  });
});

test("never produces a hop of more than two minors, nor a Kubernetes upgrade of more than one, from any pair of the tables", () => {
  let paths = 0;
  for (const source of ISTIO_RELEASES) {
    for (let k = 27; k <= 37; k++) {
      for (const target of ISTIO_RELEASES.filter((r) => compareMinors(r.minor, source.minor) >= 0)) {
        const path = upgradePath({ istio: source.checkedPatch, kubernetes: `1.${k}` }, target.checkedPatch, READ_DAY);
        if (!path.ok) continue;
        paths++;
        let previous = { istio: source.checkedPatch, kubernetes: `1.${k}` };
        for (const step of path.steps) {
          if (step.kind === "istio") {
            const minors = minorNumber(step.to) - minorNumber(previous.istio);
            expect(minors).toBeLessThanOrEqual(2); // istio.io docs/setup/upgrade/canary;
            expect(minors).toBeGreaterThanOrEqual(0);
            expect(step.after.kubernetes).toBe(previous.kubernetes);
          } else {
            expect(minorNumber(step.to) - minorNumber(previous.kubernetes)).toBe(1);
            expect(step.after.istio).toBe(previous.istio);
          }
          previous = step.after;
        }
      }
    }
  }
  expect(paths).toBeGreaterThan(50);
});

test("fixes a start outside Istio's range first: 1.23.4 on a cluster already at 1.32 hops to a release that runs 1.32", () => {
  const path = upgradePath({ istio: "1.23.4", kubernetes: "1.32.7" }, NEWEST, READ_DAY);
  if (!path.ok) throw new Error(path.reason);
  expect(path.start).toEqual(["Istio 1.23.4 supports Kubernetes 1.27–1.30, not 1.32"]);
  expect(path.insideAfter).toBe(1);
  expect(path.steps[0]).toMatchObject({ kind: "istio", from: "1.23.4", after: { kubernetes: "1.32" } });
  expect(istioSupportsKubernetes(path.steps[0]?.after.istio as string, "1.32")).toBe(true);
});

test("refuses when the cluster is already beyond every release two minors up: 1.23.4 on Kubernetes 1.35", () => {
  const path = upgradePath({ istio: "1.23.4", kubernetes: "1.35" }, NEWEST, READ_DAY);
  expect(path.ok).toBe(false);
  if (path.ok) return;
  expect(path.reason).toMatch(/already outside Istio 1\.23\.4's range \(1\.27–1\.30\)/);
  expect(path.reason).toMatch(/none within 2 minors does/);
  expect(path.reason).toMatch(/AKS never downgrades a cluster/);
});

test("refuses a target the table does not list, and a downgrade", () => {
  expect(upgradePath({ istio: "1.23.4", kubernetes: "1.30" }, "1.31.0", READ_DAY)).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/Istio 1\.31\.0 is not in the compatibility table/),
  });
  expect(upgradePath({ istio: "1.29.6", kubernetes: "1.34" }, "1.27.9", READ_DAY)).toMatchObject({
    ok: false,
    reason: expect.stringMatching(
      /older than the installed 1\.29\.6.*never downgrades the istio-base chart or the CRDs/,
    ),
  });
});

test("refuses a target whose Kubernetes versions are all below the cluster's: AKS never downgrades", () => {
  const path = upgradePath({ istio: "1.25.5", kubernetes: "1.34" }, "1.26.8", READ_DAY);
  expect(path).toMatchObject({
    ok: false,
    reason: expect.stringMatching(
      /Istio 1\.26\.8 supports Kubernetes 1\.29–1\.33, the cluster runs 1\.34, and AKS never downgrades/,
    ),
  });
});

test("refuses a target none of whose Kubernetes versions AKS still offers", () => {
  const path = upgradePath({ istio: "1.27.9", kubernetes: "1.33" }, "1.27.9", "2027-09-01");
  expect(path).toMatchObject({
    ok: false,
    reason: expect.stringMatching(
      /AKS offers none of Istio 1\.27\.9's Kubernetes versions \(1\.29–1\.33\) on 2027-09-01/,
    ),
  });
});

test("changes a created cluster through its config key and an existing one with az aks upgrade", () => {
  // 1.30 left AKS in July 2026; Istio 1.25 runs on 1.31, which AKS keeps under LTS until 2026-11-30.
  const from = { istio: "1.25.5", kubernetes: "1.30" };
  const created = steps(upgradePath(from, "1.25.5", "2026-11-01", { mode: "create" }));
  expect(created).toHaveLength(1);
  expect(created[0]).toMatchObject({ kind: "kubernetes", from: "1.30", to: "1.31" });
  expect(created[0]?.change).toEqual([
    'aks-mesh:cluster.create.kubernetesVersion: "1.31"',
    "with aks-mesh:cluster.create.tier: Premium and aks-mesh:cluster.create.supportPlan: AKSLongTermSupport",
  ]);
  const existing = steps(
    upgradePath(from, "1.25.5", "2026-11-01", { mode: "existing", resourceGroup: "rg", name: "aks" }),
  );
  expect(existing[0]?.change.join("\n")).toMatch(/az aks upgrade -g rg -n aks --kubernetes-version <1\.31 patch>/);
  expect(existing[0]?.rollback.join("\n")).toMatch(/AKS never downgrades/);
});

test("gives each hop its config keys, proxy-status and metric checks, and a rollback that keeps the base chart", () => {
  const hop = steps(upgradePath({ istio: "1.23.4", kubernetes: "1.30" }, "1.25.5", "2025-06-01"))[0];
  expect(hop).toMatchObject({ kind: "istio", from: "1.23.4", to: "1.25.5", toRevision: "1-25-5" });
  expect(hop?.change[0]).toMatch(
    /aks-mesh:istio\.revisions lists \{ version: 1\.25\.5, revision: 1-25-5, role: canary, compatibilityVersion: "1\.23" \}/,
  );
  const checks = hop?.check.join("\n");
  expect(checks).toMatch(/istioctl proxy-status/);
  expect(checks).toMatch(/pilot_xds_pushes/);
  expect(checks).toMatch(/response_code=~"5\.\."/);
  expect(hop?.rollback.join("\n")).toMatch(/never downgrade the istio-base chart or the CRDs/);
});
