// `aks-mesh:environment`: what the stack runs. It belongs to no single area: it picks the policy levels and switches
// on the production guardrails (config/guardrails.ts), which read every area's keys.
import { z } from "zod";
import { DEFAULT_ENVIRONMENT, ENVIRONMENTS } from "../policy/contract";
import type { ConfigArea, Parsed } from "./area";
import { type GuardedConfig, guardrailChecks } from "./guardrails";

export const environmentKeys = {
  environment: z
    .enum(ENVIRONMENTS)
    .default(DEFAULT_ENVIRONMENT)
    .describe(
      'What the stack runs: "production" (the default) or "development". It picks the policy levels ' +
        "(policy/<environment>.json) and, in production, refuses what a live mesh must not get: an unpinned " +
        "istio.revision, a single gateway replica or no PodDisruptionBudget, a host without TLS, Grafana's anonymous viewer.",
    ),
};

export const environmentArea: ConfigArea<typeof environmentKeys, GuardedConfig, Parsed<typeof environmentKeys>> = {
  keys: environmentKeys,
  crossChecks: (root, { key }) => guardrailChecks(root, key),
  resolve: (root) => ({ environment: root.environment }),
};
