// STRICT mTLS through the policy pack, as `npm run plan` runs it: dev's STRICT behind the automated check passes, and
// prod, PERMISSIVE today, flipped to STRICT three ways: with the automated check it passes; without a check, and with
// an expired manual attestation, the plan fails on the policy that says what to set.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { PlannedResource } from "../../tools/plan/contract";
import type { PolicyViolation } from "../../tools/policy-host";
import { type CliResult, planCli, ROOT, tempDir } from "../harness";

interface Run {
  cli: CliResult;
  violations: PolicyViolation[];
  resources: PlannedResource[];
}

async function plan(stack: string, stackFile?: string): Promise<Run> {
  const out = tempDir(`mtls-gate-${stack}-`);
  const cli = await planCli([stack, "--out", out, ...(stackFile ? ["--config", stackFile] : [])]);
  const read = (f: string) => (fs.existsSync(path.join(out, f)) ? fs.readFileSync(path.join(out, f), "utf8") : "");
  return {
    cli,
    violations: JSON.parse(read("policy.json") || "[]") as PolicyViolation[],
    resources: JSON.parse(read("resources.json") || "[]") as PlannedResource[],
  };
}

const MTLS = ["config", "aks-mesh:security", "mtls"];

/** Pulumi.prod.yaml with its mTLS section edited, written elsewhere: the committed file stays as it is. */
function prodWith(edit: (doc: YAML.Document) => void): string {
  const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
  expect(doc.getIn([...MTLS, "mode"])).toBe("PERMISSIVE");
  doc.setIn([...MTLS, "mode"], "STRICT");
  edit(doc);
  const file = path.join(tempDir("mtls-gate-flip-"), "Pulumi.prod.yaml");
  fs.writeFileSync(file, doc.toString());
  return file;
}

const runs: Record<string, Run> = {};

beforeAll(async () => {
  // One plan at a time: each is CPU-bound.
  runs.dev = await plan("dev");
  runs.prodStrict = await plan("prod", prodWith(() => undefined));
  runs.prodNoCheck = await plan(
    "prod",
    prodWith((doc) => doc.deleteIn([...MTLS, "check"])),
  );
  runs.prodExpired = await plan(
    "prod",
    prodWith((doc) =>
      doc.setIn([...MTLS, "check"], {
        mode: "manual",
        attestation: { what: "Kiali security badges, 7 days", by: "ops@example.com", date: "2025-01-06" },
        validDays: 14,
      }),
    ),
  );
});

const run = (name: string) => runs[name] as Run;
const ofPolicy = (r: Run, policy: string) => r.violations.filter((v) => v.policy === policy);
const meshWidePa = (r: Run) =>
  r.resources.find((x) => x.type === "kubernetes:security.istio.io/v1:PeerAuthentication" && x.name === "security-mtls-pa-mesh");

describe("dev: the whole mesh STRICT behind the automated check", () => {
  test("plans the mesh-wide STRICT PeerAuthentication after the check's Job and record", () => {
    const pa = meshWidePa(run("dev"));
    expect((pa?.inputs as { spec?: unknown }).spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(pa?.dependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Job::security-mtls-check-job$/),
        expect.stringMatching(/ConfigMap::security-mtls-check-record$/),
      ]),
    );
  });

  test("passes the pack with no mTLS finding at any level", () => {
    expect(run("dev").cli.code).toBe(0);
    for (const p of [
      "peer-authentication-strict-requires-mtls-check",
      "mtls-attestation-not-expired",
      "peer-authentication-exception-has-reason",
    ]) {
      expect(ofPolicy(run("dev"), p)).toEqual([]);
    }
  });
});

describe("prod flipped to STRICT", () => {
  test("with the automated check (one switch: mode): passes the pack", () => {
    expect(run("prodStrict").cli.code).toBe(0);
    expect(run("prodStrict").violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(meshWidePa(run("prodStrict"))?.dependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/ConfigMap::security-mtls-check-record$/)]),
    );
  });

  test("without a check: fails the plan on the gate, naming the config key to set", () => {
    expect(run("prodNoCheck").cli.code).toBe(1);
    const found = ofPolicy(run("prodNoCheck"), "peer-authentication-strict-requires-mtls-check");
    expect(found).toHaveLength(1);
    expect(found[0]?.enforcementLevel).toBe("mandatory");
    expect(found[0]?.message).toMatch(
      /PeerAuthentication istio-system\/default turns on STRICT mTLS for the whole mesh without an mTLS compatibility check.*set aks-mesh:security\.mtls\.check/,
    );
  });

  test("with an expired manual attestation: fails the plan on the attestation, saying when it expired", () => {
    expect(run("prodExpired").cli.code).toBe(1);
    const found = ofPolicy(run("prodExpired"), "mtls-attestation-not-expired");
    expect(found).toHaveLength(1);
    expect(found[0]?.enforcementLevel).toBe("mandatory");
    expect(found[0]?.message).toMatch(/made by ops@example\.com on 2025-01-06, expired on 2025-01-20 \(valid 14 days\)/);
  });
});
