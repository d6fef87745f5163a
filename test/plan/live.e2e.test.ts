// The inventory step end to end through the real CLIs: `npm run plan -- prod --live FILE` with the hand-installed
// mesh's export, with a clean export and with a malformed one; and the config `npm run live-config` writes for
// `pulumi preview --policy-pack-config`, served to the pack as the CLI would.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { LIVE_POLICIES } from "../../policy/live";
import type { PolicyViolation } from "../../tools/policy-host";
import { planCli, ROOT, tempDir } from "../harness";

const FIXTURES = path.join(ROOT, "test", "fixtures", "live");
const HAND_INSTALLED = path.join(FIXTURES, "prod-hand-installed.yaml");

interface LiveJson {
  source: string;
  objects: { kind: string; namespace: string; name: string; relation: string; step: string; stack: { urn: string }[] }[];
}

const read = <T>(dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as T;
const steps = (live: LiveJson) => live.objects.map((o) => [`${o.kind} ${o.namespace}/${o.name}`, o.relation, o.step]);

/** The stack's Gateway and VirtualServices for www and api: what the hand-made Gateway and VirtualService duplicate. */
const GATEWAY_URN = /\$kubernetes:networking\.istio\.io\/v1:Gateway::public-gateway-gateway$/;
/** The stack's mesh-wide PeerAuthentication (istio-system/default), which the hand-made one of the same name is. */
const PA_URN = /PeerAuthentication::security-mtls-pa-mesh$/;
const VS_URNS = [/VirtualService::app-routes-www-buildingbite-com$/, /VirtualService::app-routes-api-buildingbite-com$/];

describe("npm run plan -- prod --live (the hand-installed mesh's export)", () => {
  const out = tempDir("plan-live-");
  let result: Awaited<ReturnType<typeof planCli>>;
  beforeAll(async () => {
    result = await planCli(["prod", "--out", out, "--live", HAND_INSTALLED]);
  });

  it("plans as before (exit 0) and lists the live objects with their steps", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Live objects (test/fixtures/live/prod-hand-installed.yaml): 4 not owned by the stack");
  });

  it("writes live.json: the Gateway and VirtualService duplicated (delete after cutover), the mesh-wide PeerAuthentication taken over (import), the rest kept", () => {
    expect(steps(read<LiveJson>(out, "live.json"))).toEqual([
      ["Gateway istio-system/istio-ingressgateway", "duplicate", "delete after cutover"],
      ["VirtualService istio-system/buildingbite", "duplicate", "delete after cutover"],
      ["DestinationRule api/api", "none", "keep"],
      // The stack's aks-mesh:security.mtls.mode writes istio-system/default: the same object, adopted on the first up.
      ["PeerAuthentication istio-system/default", "conflict", "import"],
    ]);
  });

  it("flags the duplicate host/gateway conflict on the stack's Gateway and VirtualServices, not on the live objects", () => {
    const flagged = read<PolicyViolation[]>(out, "policy.json").filter((v) => v.policy === "no-clash-with-live-istio-objects");
    expect(flagged).toHaveLength(4);
    expect(flagged.some((v) => GATEWAY_URN.test(v.urn) && v.message.includes("Gateway istio-system/istio-ingressgateway"))).toBe(true);
    for (const re of VS_URNS) expect(flagged.some((v) => re.test(v.urn))).toBe(true);
    expect(flagged.some((v) => PA_URN.test(v.urn) && v.message.includes("Step for the live object: import"))).toBe(true);
  });
});

describe("npm run plan -- prod --live (a clean export)", () => {
  const out = tempDir("plan-clean-");
  let result: Awaited<ReturnType<typeof planCli>>;
  beforeAll(async () => {
    result = await planCli(["prod", "--out", out, "--live", path.join(FIXTURES, "clean.yaml")]);
  });

  it("flags nothing: every live object is kept and no live-aware policy reports", () => {
    expect(result.code).toBe(0);
    expect(read<LiveJson>(out, "live.json").objects.map((o) => o.step)).toEqual(["keep", "keep"]);
    const violations = read<PolicyViolation[]>(out, "policy.json");
    expect(violations.filter((v) => LIVE_POLICIES.includes(v.policy))).toEqual([]);
  });
});

test("refuses a malformed live export with exit 2, naming the file, writing nothing", async () => {
  const dir = tempDir("live-bad-");
  const file = path.join(dir, "live.yaml");
  fs.writeFileSync(file, "apiVersion: v1\nkind: Gateway\nmetadata: {name: gw}\n");
  const out = path.join(dir, "plan");
  const result = await planCli(["prod", "--out", out, "--live", file]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("live.yaml: not a live export");
  expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(fs.existsSync(out)).toBe(false);
});

test("npm run live-config writes the config that hands the live objects to the pack under --policy-pack-config", async () => {
  const dir = tempDir("live-config-");
  const config = path.join(dir, "policy-config.live.json");
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  await promisify(execFile)(
    process.execPath,
    [tsNode, "--transpile-only", path.join(ROOT, "tools", "plan", "live-config.ts"), "prod", HAND_INSTALLED, "--out", config],
    { cwd: ROOT },
  );
  // The plan serves the pack the config file exactly as `pulumi preview --policy-pack-config` does (no --live here).
  const out = path.join(dir, "plan");
  const result = await planCli(["prod", "--out", out, "--policy-pack-config", config]);
  expect(result.code).toBe(0);
  const flagged = read<PolicyViolation[]>(out, "policy.json").filter((v) => v.policy === "no-clash-with-live-istio-objects");
  expect(flagged.filter((v) => GATEWAY_URN.test(v.urn))).toHaveLength(1);
  expect(fs.existsSync(path.join(out, "live.json"))).toBe(false);
});
