import { levelsPolicies, policyLevelsMatchEnvironment } from "../../policy/levels";
import { type Case, runCases, runCoverage, runPreviewSafety, stackResource } from "./fixtures";

const stackOf = (outputs: Record<string, unknown>) => ({ ...stackResource, props: outputs });

const cases: Case[] = [
  {
    title: "accepts a production stack run with production's levels",
    policy: policyLevelsMatchEnvironment,
    fixtures: [stackOf({ environment: "production" })],
    config: { environment: "production" },
  },
  {
    title: "accepts a development stack run with development's levels",
    policy: policyLevelsMatchEnvironment,
    fixtures: [stackOf({ environment: "development" })],
    config: { environment: "development" },
  },
  {
    title: "accepts a stack without the output under the default (production) levels",
    policy: policyLevelsMatchEnvironment,
    fixtures: [stackOf({})],
  },
  {
    title: "rejects a production stack run with development's levels, naming the file to pass",
    policy: policyLevelsMatchEnvironment,
    fixtures: [stackOf({ environment: "production" })],
    config: { environment: "development" },
    rejects:
      /production stack \(config aks-mesh:environment\).*development policy levels.*--policy-pack-config policy\/production\.json/,
    count: 1,
  },
  {
    title: "rejects a development stack run without --policy-pack-config (the pack's production defaults)",
    policy: policyLevelsMatchEnvironment,
    fixtures: [stackOf({ environment: "development" })],
    rejects: /development stack.*production policy levels.*policy\/development\.json/,
    count: 1,
  },
];

describe("policy levels", () => {
  runCases(cases);
  runPreviewSafety(cases);
  runCoverage(levelsPolicies, cases);
});
