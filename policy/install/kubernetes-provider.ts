// The Kubernetes provider the stack deploys with. `upsertExistingObjects` lets `pulumi up` take over objects that
// already exist in the cluster (pulumi-kubernetes 4.x provider option): right for the one `up` that adopts a
// hand-installed mesh, wrong afterwards, when an object of the same name made by hand or by another tool would be
// silently overwritten with this stack's spec instead of the create failing with "already exists".
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { shown } from "../lib";

const KUBERNETES_PROVIDER = "pulumi:providers:kubernetes";

/**
 * Whether a provider input is on. Provider inputs reach the engine JSON-encoded (the Node SDK's generated provider
 * stringifies every non-string input: `"true"`), so both spellings count.
 */
const isOn = (v: unknown): boolean => v === true || v === "true";

export const kubernetesProviderUpsertOff: ResourceValidationPolicy & Why = {
  name: "kubernetes-provider-upsert-off",
  description:
    "The Kubernetes provider does not adopt existing objects (upsertExistingObjects) beyond the takeover `pulumi up`: " +
    "left on, it overwrites any same-named object made by hand or by another tool instead of failing the create " +
    "(house rule; pulumi-kubernetes provider option).",
  enforcementLevel: "advisory",
  why: "left on after the takeover `up`, it overwrites same-named objects made outside the stack; advisory: the takeover needs it (house rule)",
  validateResource: (args, report) => {
    if (args.type !== KUBERNETES_PROVIDER) return;
    if (!isOn(args.props.upsertExistingObjects)) return;
    report(
      `Kubernetes provider ${shown(args.name)} adopts existing objects (upsertExistingObjects): keep it on only for ` +
        "the `pulumi up` that takes over the hand-installed mesh, then set aks-mesh:cluster.upsertExistingObjects " +
        "back to false and run `pulumi up` once more (no changes expected), so a same-named object made outside " +
        "this stack fails the create instead of being overwritten.",
    );
  },
};
