// How the offline plan picks a stack's policy levels and holds a production stack to the floor, and how it reports
// what a policy said: unit tests of the pieces the CLI wires together (the CLI itself: levels.e2e.test.ts).
import fs from "node:fs";
import path from "node:path";
import { PRODUCTION_FLOOR } from "../../policy/floor";
import { PolicyConfigError, type ReconciledConfig } from "../../tools/policy-host/config";
import {
  checkProductionFloor,
  policyConfigSource,
  stackEnvironment,
  violationMessage,
} from "../../tools/policy-host/run";
import type { PolicyStack } from "../../tools/policy-host/pass";

import { ROOT } from "../harness";

const POLICY_DIR = path.join(ROOT, "policy");

function stack(environment?: string): PolicyStack {
  return {
    project: "aks-mesh",
    stack: "staging",
    config: environment === undefined ? {} : { "aks-mesh:environment": environment },
    secretKeys: [],
  };
}

function levelsFrom(file: string): Record<string, ReconciledConfig> {
  const json = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, file), "utf8")) as Record<
    string,
    string | { enforcementLevel: ReconciledConfig["enforcementLevel"] }
  >;
  return Object.fromEntries(
    Object.entries(json).map(([name, c]) => [
      name,
      {
        enforcementLevel: typeof c === "string" ? (c as ReconciledConfig["enforcementLevel"]) : c.enforcementLevel,
        properties: {},
      },
    ]),
  );
}

describe("which levels a stack runs", () => {
  test.each([
    ["production", "production.json"],
    ["development", "development.json"],
  ])("a %s stack runs policy/%s", (environment, file) => {
    expect(policyConfigSource({ packDir: POLICY_DIR, stack: stack(environment) })).toBe(path.join(POLICY_DIR, file));
  });

  test("a stack without aks-mesh:environment runs production's levels, and says it was not set", () => {
    expect(stackEnvironment(stack())).toEqual({ environment: "production", declared: false });
    expect(policyConfigSource({ packDir: POLICY_DIR, stack: stack() })).toBe(path.join(POLICY_DIR, "production.json"));
  });

  test("--policy-pack-config wins over the environment's file", () => {
    expect(policyConfigSource({ packDir: POLICY_DIR, stack: stack("production"), configFile: "my.json" })).toBe(
      path.resolve("my.json"),
    );
  });
});

describe("the production floor", () => {
  test("passes production's own levels", () => {
    expect(() =>
      checkProductionFloor(stack("production"), levelsFrom("production.json"), "policy/production.json"),
    ).not.toThrow();
  });

  test.each(["advisory", "disabled"] as const)(
    "refuses a production stack whose policy config sets a floor policy %s, naming the file and the policy",
    (level) => {
      const levels = levelsFrom("production.json");
      const name = PRODUCTION_FLOOR[1] as string;
      levels[name] = { enforcementLevel: level, properties: {} };
      expect(() => checkProductionFloor(stack("production"), levels, "mine.json")).toThrow(PolicyConfigError);
      expect(() => checkProductionFloor(stack("production"), levels, "mine.json")).toThrow(
        new RegExp(
          `^mine\\.json: ${name}: "${level}" is below the production floor: stack "staging" is a production stack`,
        ),
      );
    },
  );

  test("holds a stack without aks-mesh:environment to the floor", () => {
    expect(() => checkProductionFloor(stack(), levelsFrom("development.json"), "policy/development.json")).toThrow(
      /aks-mesh:environment is not set/,
    );
  });

  test("leaves a development stack its development levels", () => {
    expect(() =>
      checkProductionFloor(stack("development"), levelsFrom("development.json"), "policy/development.json"),
    ).not.toThrow();
  });
});

describe("a violation's message", () => {
  const description = "The mesh has a default-deny AuthorizationPolicy (root namespace, no selector, no rules).";
  test.each([
    [
      "drops the policy's description @pulumi/policy puts in front",
      `${description}\nThe mesh has no default-deny policy: add one.`,
      "The mesh has no default-deny policy: add one.",
    ],
    ["keeps a message that is only the description", description, description],
    ["keeps a message that does not start with the description", "Something else.\nMore.", "Something else.\nMore."],
  ])("%s", (_title, message, expected) => {
    expect(violationMessage(message, description)).toBe(expected);
  });
});
