// Revision tags, rendered by the program as `istioctl tag set <tag> --revision <revision>` renders them, instead of by
// the istiod chart.
//
// Why not the chart's `revisionTags` value: the chart renders each tag's MutatingWebhookConfiguration
// (istio-discovery templates/revision-tags.yaml) inside that revision's release istiod-<revision>, so Helm records the
// object as owned by that release. Moving the tag to another revision (the step of a canary upgrade that moves every
// tagged namespace at once) would mean rendering it from the other revision's release, and Helm refuses to install an
// object another release owns ("invalid ownership metadata"); removing it from the old release first deletes the
// webhook and leaves the tagged namespaces without an injector in between. Rendered here, the tag is one Pulumi
// resource whose name does not depend on the revision: moving it is an in-place update of its service and labels.
import type * as k8s from "@pulumi/kubernetes";
import { REVISION_LABEL, SIDECAR_INJECT } from "../../policy/contract";
import { meshLabels } from "../shared";
import { istiodName } from "./istiod-revision";

/** The label a tag webhook carries with its tag; istiod's tag watcher and `istioctl tag list` select on it. */
export const TAG_LABEL = "istio.io/tag";
/** The label naming the revision a webhook belongs to. */
const REV_LABEL = REVISION_LABEL;

/**
 * The caBundle of every webhook: left empty by the program and filled in by the istiod of the tag's revision. Its
 * webhook cert patcher (pkg/webhooks/webhookpatch.go, 1.23.4) watches every MutatingWebhookConfiguration, patches
 * those labelled istio.io/rev=<its revision>, in each webhook whose name ends in "sidecar-injector.istio.io". A value
 * the program never sets cannot drift, but a refreshed state holds istiod's; ignoring it keeps an update of the tag
 * from sending an empty caBundle back.
 */
export const CA_BUNDLE_PATHS = ["webhooks[*].clientConfig.caBundle"];

export interface RevisionTagArgs {
  /** The tag (config istio.revisionTags[]): a name namespaces put in istio.io/rev. */
  tag: string;
  /** The revision the tag points at; its Service istiod-<revision> answers the tag's webhooks. */
  revision: string;
  /** The control plane's namespace (config istio.namespace), where istiod-<revision> runs. */
  namespace: string;
}

/**
 * The object's name as the chart names it: istio-revision-tag-<tag>, with -<namespace> appended outside istio-system
 * (revision-tags.yaml), so two control planes in one cluster do not collide.
 */
export function revisionTagWebhookName(tag: string, namespace: string): string {
  return namespace === "istio-system" ? `istio-revision-tag-${tag}` : `istio-revision-tag-${tag}-${namespace}`;
}

type Webhook = k8s.types.input.admissionregistration.v1.MutatingWebhook;
type Selector = k8s.types.input.meta.v1.LabelSelector;

/**
 * The MutatingWebhookConfiguration of a revision tag, as istioctl 1.23.4 generates it (istioctl/pkg/tag/generate.go
 * renders the istiod chart's revision-tags.yaml with `revision`, `revisionTags: [<tag>]` and
 * enableNamespacesByDefault false, then sets each service path to the revision's injection path, "/inject"):
 * - `rev.namespace.`: pods in namespaces labelled istio.io/rev=<tag> (and no istio-injection label);
 * - `rev.object.`: pods labelled istio.io/rev=<tag> in namespaces with neither label;
 * both sent to Service istiod-<revision>:443/inject, failing closed.
 *
 * Labels: istio.io/rev=<revision> (istiod's cert patcher and tag watcher, pkg/revisions/tag_watcher.go, pick the tag
 * up by it), istio.io/tag=<tag>, app=sidecar-injector, and this program's own. Left out: the operator.istio.io labels,
 * which `istioctl tag set` drops too (tag.go setTag generates user-managed tags; generateLabels removes them, so
 * `istioctl install` never prunes a tag), and the labels and annotations istioctl copies from the revision's own
 * webhook, which here would be Helm's release metadata on an object no release owns. The tag "default", whose chart
 * webhooks also take istio-injection=enabled namespaces, is refused by config.
 */
export function revisionTagWebhook(
  args: RevisionTagArgs,
): k8s.admissionregistration.v1.MutatingWebhookConfigurationArgs {
  const core = (prefix: string, namespaceSelector: Selector, objectSelector: Selector): Webhook => ({
    name: `${prefix}sidecar-injector.istio.io`,
    clientConfig: {
      service: { name: istiodName(args.revision), namespace: args.namespace, path: "/inject", port: 443 },
    },
    sideEffects: "None",
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
    failurePolicy: "Fail",
    admissionReviewVersions: ["v1"],
    namespaceSelector,
    objectSelector,
  });
  const notDisabled = { key: SIDECAR_INJECT, operator: "NotIn", values: ["false"] };
  const noLegacyLabel = { key: "istio-injection", operator: "DoesNotExist" };
  return {
    metadata: {
      name: revisionTagWebhookName(args.tag, args.namespace),
      labels: meshLabels("istio", { [TAG_LABEL]: args.tag, [REV_LABEL]: args.revision, app: "sidecar-injector" }),
    },
    webhooks: [
      core(
        "rev.namespace.",
        { matchExpressions: [{ key: REV_LABEL, operator: "In", values: [args.tag] }, noLegacyLabel] },
        { matchExpressions: [notDisabled] },
      ),
      core(
        "rev.object.",
        { matchExpressions: [{ key: REV_LABEL, operator: "DoesNotExist" }, noLegacyLabel] },
        { matchExpressions: [notDisabled, { key: REV_LABEL, operator: "In", values: [args.tag] }] },
      ),
    ],
  };
}
