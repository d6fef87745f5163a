// The pack's own guardrail: it runs with the policy levels of the stack's environment. The program declares the
// environment (config aks-mesh:environment) as the stack output "environment"; each levels file
// (policy/production.json, policy/development.json) names the environment it is for in this policy's config. The pack
// starts from production's levels (policy/index.ts), so `pulumi preview --policy-pack policy` without a config file
// is a production run, and a development stack must pass --policy-pack-config policy/development.json.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { AreaPolicy, Why } from "./lib/why";
import { DEFAULT_ENVIRONMENT, type Environment, ENVIRONMENT_OUTPUT, ENVIRONMENTS } from "./contract";
import { at, configOf, plain, str } from "./lib";

const ROOT_STACK = "pulumi:pulumi:Stack";

export const policyLevelsMatchEnvironment: StackValidationPolicy & Why = {
  name: "policy-levels-match-environment",
  description:
    "The pack runs with the levels file of the stack's environment (config aks-mesh:environment): policy/production.json " +
    "for production stacks, policy/development.json for development stacks.",
  enforcementLevel: "mandatory",
  why: "a production stack checked with development's levels would pass what production refuses",
  configSchema: {
    properties: {
      environment: {
        type: "string",
        enum: [...ENVIRONMENTS],
        default: DEFAULT_ENVIRONMENT,
        description: "The environment these levels are for.",
      },
    },
  },
  validateStack: (args, report) => {
    const { environment: levels } = configOf<{ environment: Environment }>(args, { environment: DEFAULT_ENVIRONMENT });
    const root = args.resources.find((r) => r.type === ROOT_STACK && r.parent === undefined);
    if (!root) return;
    const declared = str(at(plain(root.props), ENVIRONMENT_OUTPUT));
    // A program that predates the output runs as production, as a stack without the key does.
    const environment =
      typeof declared === "string" ? declared : declared === undefined ? DEFAULT_ENVIRONMENT : undefined;
    if (environment === undefined || environment === levels) return;
    report(
      `This is a ${environment} stack (config aks-mesh:environment) but the pack runs the ${levels} policy levels: ` +
        `run pulumi preview --policy-pack policy --policy-pack-config policy/${environment}.json.`,
      root.urn,
    );
  },
};

export const levelsPolicies: AreaPolicy[] = [policyLevelsMatchEnvironment];
