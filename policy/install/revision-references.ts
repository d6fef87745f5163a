// A revision is removed only once nothing points at it. The plan sees three kinds of pointers besides namespace labels
// (which enforce-sidecar-injection-namespace already holds to an installed revision or tag): revision tags (their
// webhook sends pods to Service istiod-<revision>), base.defaultRevision (the default validator's target), and the
// istio.io/rev label of pod templates (the ingress gateway's, chart-less and injected by that revision). Each must name
// an istiod revision the stack installs, or, for pods, a tag that does; otherwise the object points at a removed
// revision. Pods that have not restarted since a move are invisible here: docs/upgrades.md gives the live check.
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { REVISION_LABEL } from "../contract";
import { at, fullName, helmReleases, kubeObjects, podTemplates, str, UNKNOWN } from "../lib";

/** The label a revision tag's webhook carries (istioctl tag set; istiod's tag watcher selects on it). */
const TAG_LABEL = "istio.io/tag";

export const istioRevisionRemovedOnlyWhenUnreferenced: StackValidationPolicy & Why = {
  name: "istio-revision-removed-only-when-unreferenced",
  description:
    "Every revision tag, base.defaultRevision and pod template istio.io/rev (the gateway) names an istiod revision the " +
    "stack installs (pods: or a tag pointing at one), so a revision is removed only after nothing points at it: a tag " +
    "on a removed revision fails every pod creation it selects (failurePolicy Fail), a gateway on one restarts without " +
    "its proxy (Istio canary upgrade docs, https://istio.io/latest/docs/setup/upgrade/canary/#uninstall-old-control-plane).",
  enforcementLevel: "mandatory",
  why: "pods of a tag or gateway pointing at a removed revision can no longer be created",
  validateStack: (args, report) => {
    const revisions = new Set<string>();
    let istiods = 0;
    for (const r of helmReleases(args.resources)) {
      if (r.chart !== "istiod") continue;
      const rev = str(at(r.values, "revision"));
      if (rev === UNKNOWN) return;
      istiods++;
      revisions.add(rev === undefined || rev === "" ? "default" : rev);
    }
    if (istiods === 0) return; // a stack that installs no istiod (the AKS add-on) decides nothing here
    const installed = [...revisions].join(", ");
    const objects = kubeObjects(args.resources);
    const tags = new Set<string>();
    let tagsKnown = true;
    for (const o of objects) {
      if (o.kind !== "MutatingWebhookConfiguration") continue;
      if (o.labels === UNKNOWN) {
        tagsKnown = false;
        continue;
      }
      const tag = o.labels[TAG_LABEL];
      const rev = o.labels[REVISION_LABEL];
      if (tag === undefined || rev === undefined) continue;
      if (revisions.has(rev)) {
        tags.add(tag);
        continue;
      }
      report(
        `Revision tag "${tag}" (${String(o.name)}) points at revision "${rev}", which the stack does not install ` +
          `(${installed}): move the tag first (config aks-mesh:istio.revisionTags), restart what it injects, and remove ` +
          "the revision in a later step.",
        o.urn,
      );
    }
    for (const r of helmReleases(args.resources)) {
      if (r.chart !== "base") continue;
      const target = str(at(r.values, "defaultRevision"));
      if (target === UNKNOWN || target === undefined || target === "" || revisions.has(target)) continue;
      report(
        `base.defaultRevision is "${target}", a revision the stack does not install (${installed}): the default ` +
          "validator would call a missing istiod. It follows the stable revision (config aks-mesh:istio.revisions, " +
          "role stable); promote the new revision before removing the old one.",
        r.urn,
      );
    }
    if (!tagsKnown) return; // a pod may point at a tag whose webhook is not known yet
    for (const o of objects) {
      for (const t of podTemplates(o)) {
        if (t.labels === UNKNOWN) continue;
        const rev = t.labels[REVISION_LABEL];
        if (rev === undefined || revisions.has(rev) || tags.has(rev)) continue;
        report(
          `${o.kind} ${fullName(o)} labels its pods ${REVISION_LABEL}=${rev}, neither an installed revision nor a tag ` +
            `of one (${[...revisions, ...tags].join(", ")}): its pods would start without their proxy. Point it at the ` +
            "new revision or its tag (config aks-mesh:ingressGateway.revision, aks-mesh:istio.injectionTag) and " +
            "restart it before the revision goes.",
          o.urn,
        );
      }
    }
  },
};
