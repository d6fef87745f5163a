// The pack as the CLI serves it: every area's policies registered under unique names, and per-stack configs that
// name only those policies, with valid levels and properties.
import fs from "node:fs";
import path from "node:path";
import type { Policies, PolicyConfigSchema, PolicyPackArgs } from "@pulumi/policy";
import { allPolicies, POLICY_AREAS } from "../../policy/areas";
import { PRODUCTION_FLOOR } from "../../policy/floor";
import { LIVE_AWARE_CHECKS, LIVE_OBJECTS_PROPERTY, LIVE_POLICIES } from "../../policy/live";

jest.mock("@pulumi/policy", () => ({ ...jest.requireActual<object>("@pulumi/policy"), PolicyPack: jest.fn() }));

const POLICY_DIR = path.resolve(__dirname, "../../policy");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

function servedPack(): { name: string; args: PolicyPackArgs; initialConfig: unknown } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PolicyPack } = require("@pulumi/policy") as { PolicyPack: jest.Mock };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("../../policy");
  const call = PolicyPack.mock.calls[0] as [string, PolicyPackArgs, unknown];
  return { name: call[0], args: call[1], initialConfig: call[2] };
}

type StackConfig = Record<string, string | ({ enforcementLevel?: string } & Record<string, unknown>)>;
const readConfig = (environment: string) =>
  JSON.parse(fs.readFileSync(path.join(POLICY_DIR, `${environment}.json`), "utf8")) as StackConfig;
const levelOf = (c: StackConfig[string] | undefined) => (typeof c === "string" ? c : c?.enforcementLevel);

/** Checks a config value against the subset of JSON schema the pack's configSchemas use. */
function fits(value: unknown, schema: Record<string, unknown>): boolean {
  if (schema.type === "string")
    return typeof value === "string" && (!schema.pattern || new RegExp(schema.pattern as string).test(value));
  if (schema.type === "array") {
    return Array.isArray(value) && value.every((v) => fits(v, (schema.items ?? {}) as Record<string, unknown>));
  }
  return true;
}

describe("the aks-mesh policy pack", () => {
  const { name, args, initialConfig } = servedPack();
  const policies: Policies = args.policies;

  it("serves exactly the policies of policy/areas.ts, in its order", () => {
    // By name: the live-aware checks are served wrapped (policy/live.ts withLiveObjects).
    expect(policies.map((p) => p.name)).toEqual(allPolicies.map((p) => p.name));
  });

  it("lists every area folder of policy/ once in policy/areas.ts, and only those beside the root's own checks", () => {
    const folders = fs
      .readdirSync(POLICY_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(POLICY_DIR, d.name, "index.ts")) && d.name !== "lib")
      .map((d) => d.name);
    const listed = POLICY_AREAS.map((a) => a.name);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.filter((n) => !folders.includes(n)).sort()).toEqual(["levels", "live"]);
    expect(folders.filter((n) => !listed.includes(n))).toEqual([]);
  });

  it("hands the live objects to exactly the policies the live config fills: the live-aware checks and no-clash", () => {
    const readers = policies.filter((p) => p.configSchema?.properties[LIVE_OBJECTS_PROPERTY]).map((p) => p.name);
    expect(readers.sort()).toEqual([...LIVE_POLICIES].sort());
    for (const name of LIVE_AWARE_CHECKS) expect(policies.find((p) => p.name === name)).toHaveProperty("validateStack");
  });

  it('is served as "aks-mesh" with a version in its package.json', () => {
    expect(name).toBe("aks-mesh");
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version?: string };
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs$/m);
  });

  it("names every policy uniquely, in kebab-case, with a description and an enforcement level", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of policies) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.description.length).toBeGreaterThan(40);
      expect(LEVELS).toContain(p.enforcementLevel);
    }
  });

  it("gives every configurable threshold a default that fits its own schema", () => {
    for (const p of policies.filter((x) => x.configSchema)) {
      for (const [key, schema] of Object.entries((p.configSchema as PolicyConfigSchema).properties)) {
        const s = schema as Record<string, unknown>;
        expect([p.name, key, fits(s.default, s)]).toEqual([p.name, key, true]);
      }
    }
  });

  describe.each(["development", "production"])("policy/%s.json", (environment) => {
    const config = readConfig(environment);

    it("sets a level for every policy of these areas, names only policies the pack serves, all levels valid", () => {
      for (const p of allPolicies) expect([p.name, config[p.name] !== undefined]).toEqual([p.name, true]);
      const served = new Set(policies.map((p) => p.name));
      for (const key of Object.keys(config)) expect([key, served.has(key)]).toEqual([key, true]);
      for (const c of Object.values(config)) expect(LEVELS).toContain(levelOf(c));
    });

    it("only sets properties the policy's configSchema declares, with values that fit it", () => {
      for (const p of policies) {
        const c = config[p.name];
        if (typeof c !== "object") continue;
        for (const [key, value] of Object.entries(c)) {
          if (key === "enforcementLevel") continue;
          const schema = p.configSchema?.properties[key] as Record<string, unknown> | undefined;
          expect([p.name, key, schema !== undefined && fits(value, schema)]).toEqual([p.name, key, true]);
        }
      }
    });
  });

  it("is at least as strict in production as in development", () => {
    const development = readConfig("development");
    const production = readConfig("production");
    for (const p of policies) {
      if (levelOf(development[p.name]) === "mandatory") {
        expect([p.name, levelOf(production[p.name])]).toEqual([p.name, "mandatory"]);
      }
    }
  });

  it("starts from production's levels, so a run without --policy-pack-config is a production run", () => {
    expect(initialConfig).toEqual(readConfig("production"));
  });

  it("names in each levels file the environment it is for", () => {
    for (const environment of ["development", "production"]) {
      const entry = readConfig(environment)["policy-levels-match-environment"];
      expect([environment, typeof entry === "object" ? entry.environment : entry]).toEqual([environment, environment]);
    }
  });

  describe("the production floor", () => {
    it("names only policies the pack serves", () => {
      const served = new Set(policies.map((p) => p.name));
      for (const name of PRODUCTION_FLOOR) expect([name, served.has(name)]).toEqual([name, true]);
    });

    it.each(PRODUCTION_FLOOR.map((name) => [name]))("keeps %s mandatory in policy/production.json", (name) => {
      expect(levelOf(readConfig("production")[name])).toBe("mandatory");
    });

    it("holds the mTLS gate, the ingress IP guard, the image hub and the levels check", () => {
      for (const name of [
        "peer-authentication-strict-requires-mtls-check",
        "ingress-ip-protected-static-standard",
        "istio-image-hub-allowed",
        "policy-levels-match-environment",
      ]) {
        expect(PRODUCTION_FLOOR).toContain(name);
      }
    });
  });

  it("lists every policy of these areas in the README with its level in development and production", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const start = readme.indexOf("\n## Policies");
    const end = readme.indexOf("\n## ", start + 1);
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, end > start ? end : undefined);
    const dev = readConfig("development");
    const prod = readConfig("production");
    for (const p of allPolicies) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${p.name}\``));
      expect([p.name, row !== undefined]).toEqual([p.name, true]);
      const cells = (row as string).split("|").map((c) => c.trim());
      // | name | dev | prod | why |
      expect([p.name, cells[2], cells[3]]).toEqual([p.name, levelOf(dev[p.name]), levelOf(prod[p.name])]);
    }
  });
});
