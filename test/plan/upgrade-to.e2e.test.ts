// `npm run plan -- <stack> --upgrade-to X.Y.Z` through the real CLI: prod's hop plan from its Istio 1.23.4 on the
// Kubernetes version its cluster read reports, printed with exit 0 and no plan files; a target without a path, exit 2.
import fs from "node:fs";
import { ISTIO_RELEASES, minorOf } from "../../policy/compatibility";
import { planCli, tempDir } from "../harness";

const NEWEST = ISTIO_RELEASES[0]?.checkedPatch as string;
const minorNumber = (v: string) => Number((minorOf(v) ?? "0.0").split(".")[1]);

test("prints prod's hops from 1.23.4 on Kubernetes 1.30 to the newest patch, each at most two minors, writing no plan", async () => {
  const out = tempDir("upgrade-to-");
  const result = await planCli(["prod", "--upgrade-to", NEWEST, "--cluster-version", "1.30.14", "--out", out]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(
    `Istio 1.23.4 (the stable revision, aks-mesh:istio) on Kubernetes 1.30.14 (the cluster read, --cluster-version) to Istio ${NEWEST}`,
  );
  const hops = [...result.stdout.matchAll(/^\d+\. Istio (\S+) -> (\S+) /gm)].map((m): [string, string] => [m[1] ?? "", m[2] ?? ""]);
  expect(hops[0]?.[0]).toBe("1.23.4");
  expect(hops[hops.length - 1]?.[1]).toBe(NEWEST);
  for (const [from, to] of hops) expect(minorNumber(to) - minorNumber(from)).toBeLessThanOrEqual(2);
  expect(result.stdout).toMatch(/^\d+\. Kubernetes 1\.30 -> 1\.31 /m);
  expect(result.stdout).toMatch(/az aks upgrade -g rg-buildingbite-prod -n aks-buildingbite-prod --kubernetes-version/);
  expect(result.stdout).toMatch(/never downgrade the istio-base chart or the CRDs/);
  expect(fs.readdirSync(out)).toEqual([]);
});

test("exits 2 with the reason when no path exists: 1.23.4 on a cluster already at Kubernetes 1.35", async () => {
  const result = await planCli(["prod", "--upgrade-to", NEWEST, "--cluster-version", "1.35.2"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/plan: no upgrade path: .*already outside Istio 1\.23\.4's range/);
});
