import { kubernetesProviderUpsertOff } from "../../../policy/install/kubernetes-provider";
import { type Case, type Fixture, runCases, runCoverage, runPreviewSafety } from "../fixtures";

/** The stack's Kubernetes provider as the engine receives it: every non-string input JSON-encoded by the SDK. */
const provider = (upsertExistingObjects: unknown): Fixture => ({
  type: "pulumi:providers:kubernetes",
  name: "cluster-k8s",
  props: { enableServerSideApply: "true", kubeconfig: "[secret]", upsertExistingObjects },
});

const policy = kubernetesProviderUpsertOff;

const cases: Case[] = [
  {
    title: "flags a provider left adopting existing objects, naming the key to set back",
    policy,
    fixtures: [provider("true")],
    rejects: /cluster-k8s.*upsertExistingObjects.*aks-mesh:cluster\.upsertExistingObjects back to false/,
    count: 1,
  },
  {
    title: "flags the option given as a plain boolean too",
    policy,
    fixtures: [provider(true)],
    rejects: /upsertExistingObjects/,
    count: 1,
  },
  { title: "accepts a provider that does not adopt (the committed stacks)", policy, fixtures: [provider("false")] },
  { title: "accepts a provider without the option", policy, fixtures: [provider(undefined)] },
  {
    title: "leaves other resources with a field of that name alone",
    policy,
    fixtures: [{ type: "kubernetes:core/v1:ConfigMap", name: "cm", props: { upsertExistingObjects: "true" } }],
  },
];

describe("kubernetes-provider-upsert-off", () => {
  runCases(cases);
  runCoverage([kubernetesProviderUpsertOff], cases);
  runPreviewSafety(cases);

  test("is advisory: the takeover `pulumi up` needs the option on", () => {
    expect(policy.enforcementLevel).toBe("advisory");
  });
});
