// Area "istio" (components/istio): `aks-mesh:istio`, the control plane.
import { z } from "zod";
import type { ConfigArea, MeshConfigContributions, Parsed } from "./area";
import { compareVersions } from "../policy/compatibility";
import { istioVersionProblem } from "./compatibility";
import { revisionOf } from "./guardrails";
import type { ingressKeys } from "./ingress";
import type { meshKeys } from "./mesh";
import { dnsLabel, resources, semver, whenFieldsValid } from "./primitives";
import {
  CANARY_UPGRADE_SOURCE,
  compatibilityVersionProblem,
  MAX_ISTIO_HOP_MINORS,
  minorSpan,
  type RevisionRole,
} from "../policy/upgrade";

/** The Istio version a stack installs when it names none. */
export const DEFAULT_ISTIO_VERSION = "1.23.4";

const istioVersion = semver.superRefine((v, ctx) => {
  if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(v)) return; // the format error above already says what is wrong
  const problem = istioVersionProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** One installed revision of the list form (istio.revisions). */
export const installedRevision = z.strictObject({
  version: istioVersion.describe("Istio version of this revision: its istiod chart and proxy image tag."),
  revision: dnsLabel.describe(
    'Its revision name (istio.io/rev, release istiod-<revision>): the version with dashes ("1-25-5"). Named ' +
      "explicitly, so that a new version is always a new entry beside the running one, never an in-place upgrade.",
  ),
  role: z
    .enum(["stable", "canary", "previous"])
    .describe(
      "stable: base.defaultRevision and the revision of every namespace without a tag (exactly one); canary: the newer " +
        "revision being tried beside it; previous: the older revision kept for rollback until nothing points at it " +
        "(docs/upgrades.md).",
    ),
  compatibilityVersion: z
    .string()
    .regex(/^[0-9]+\.[0-9]+$/, { message: 'must be a minor such as "1.23"' })
    .optional()
    .describe(
      "The istiod chart's compatibilityVersion (its compatibility-version-<minor> profile): keep the defaults of an " +
        "older minor on this revision, so a hop changes the version first and the defaults in a step of its own.",
    ),
});

const tagName = dnsLabel.refine((t) => t !== "default", {
  message:
    'the tag "default" also takes over istio-injection=enabled namespaces and the default validator, which ' +
    'the istio-base release owns (base.defaultRevision); name the tag after its role instead, e.g. "stable"',
});

export const istioSection = z
  .strictObject({
    version: istioVersion
      .optional()
      .describe(
        `Istio version of the single-revision form (${DEFAULT_ISTIO_VERSION} when unset): the chart versions and the ` +
          "proxy image tag. One of the minors of the compatibility table (policy/compatibility.ts), which says which " +
          "Kubernetes versions each supports. Not with istio.revisions.",
      ),
    revision: dnsLabel
      .optional()
      .describe(
        'Control-plane revision of the single-revision form: the version with dashes ("1-23-4"), its default. Set it ' +
          "to pin the running revision (required in production): a version that is not the revision's is then " +
          "refused, since it would upgrade that revision and every sidecar in one pulumi up. Not with istio.revisions.",
      ),
    revisions: z
      .array(installedRevision)
      .min(1)
      .optional()
      .describe(
        "The list form, for a canary upgrade: every revision installed side by side, with its role. Replaces " +
          "istio.version and istio.revision (one stable entry is the same install). The istio-base chart installs " +
          "the newest version listed; the versions span at most two minors (docs/upgrades.md).",
      ),
    chartRepository: z
      .url({ message: "must be a URL" })
      .default("https://istio-release.storage.googleapis.com/charts")
      .describe("Helm repository of the Istio charts."),
    hub: z
      .string()
      .min(1)
      .default("docker.io/istio")
      .describe(
        "Image registry of istiod and the proxies (global.hub). Another registry than Istio's (an ACR mirror) must be " +
          "allowed in policy istio-image-hub-allowed's allowedHubs; production stacks run that policy mandatory.",
      ),
    outboundTrafficPolicy: z
      .enum(["ALLOW_ANY", "REGISTRY_ONLY"])
      .default("ALLOW_ANY")
      .describe("meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY blocks hosts the mesh does not know."),
    accessLog: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Envoy access logs on stdout (meshConfig.accessLogFile)."),
        encoding: z
          .enum(["TEXT", "JSON"])
          .default("JSON")
          .describe(
            "meshConfig.accessLogEncoding. JSON is parsed by Loki without a regex, and its lines carry trace_id (links to Jaeger).",
          ),
      })
      .prefault({})
      .describe("Envoy access logs."),
    pilot: z
      .strictObject({
        minReplicas: z.int().min(1).default(1).describe("istiod replicas (pilot.replicaCount, autoscaleMin)."),
        maxReplicas: z.int().min(1).default(5).describe("istiod autoscaling ceiling (pilot.autoscaleMax)."),
        resources: resources
          .default({ requests: { cpu: "500m", memory: "2Gi" } })
          .describe("istiod container resources (pilot.resources)."),
      })
      .prefault({})
      .refine((p) => p.maxReplicas >= p.minReplicas, {
        message: "maxReplicas must be at least minReplicas",
        ...whenFieldsValid,
      })
      .describe("istiod sizing."),
    proxy: z
      .strictObject({
        resources: resources
          .default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } })
          .describe("Sidecar resources (global.proxy.resources): requests 100m/128Mi, memory limit 1Gi by default."),
      })
      .prefault({})
      .describe("Envoy sidecars."),
    helmTimeoutSeconds: z
      .int()
      .min(60)
      .max(3600)
      .default(600)
      .describe("How long a Helm release may take to become ready."),
    namespace: dnsLabel
      .default("istio-system")
      .describe(
        "istiod's namespace and the mesh root namespace (global.istioNamespace); aks-istio-system for the AKS add-on.",
      ),
    revisionTags: z
      .union([
        z.array(tagName).superRefine((tags, ctx) => {
          tags.forEach((t, i) => {
            if (tags.indexOf(t) !== i) ctx.addIssue({ code: "custom", path: [i], message: `"${t}" is listed twice` });
          });
        }),
        z.record(tagName, dnsLabel),
      ])
      .default([])
      .describe(
        "Revision tags, made as `istioctl tag set <tag> --revision <revision>` makes them: names namespaces and " +
          "gateways carry in istio.io/rev, so a canary upgrade moves a tag, not every namespace (docs/upgrades.md). " +
          "A list points every tag at the stable revision; a map names each tag's revision " +
          "({ prod-stable: 1-23-4, prod-canary: 1-25-5 }).",
      ),
    injectionTag: dnsLabel
      .optional()
      .describe("The tag (one of revisionTags) namespaces and gateways carry in istio.io/rev; unset, the revision."),
  })
  .superRefine((istio, ctx) => {
    if (istio.revisions !== undefined && (istio.version !== undefined || istio.revision !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["revisions"],
        message:
          "set either istio.version/istio.revision (one revision) or istio.revisions (side by side), not both; the " +
          "single form is the list [{ version, revision, role: stable }]",
      });
      return;
    }
    const installed = installedRevisions(istio);
    if (istio.revisions !== undefined) revisionListProblems(istio.revisions, ctx);
    const names = installed.map((r) => r.revision);
    const tags = tagTargets(istio);
    tags.forEach(({ tag, revision }) => {
      const at = Array.isArray(istio.revisionTags) ? istio.revisionTags.indexOf(tag) : tag;
      // istioctl refuses it too (istioctl/pkg/tag/generate.go: "found existing control plane revision with same name").
      if (names.includes(tag)) {
        ctx.addIssue({
          code: "custom",
          path: ["revisionTags", at],
          message: `"${tag}" is the name of an installed revision; a tag must name something else`,
        });
      } else if (!names.includes(revision)) {
        ctx.addIssue({
          code: "custom",
          path: ["revisionTags", at],
          message:
            `"${tag}" points at "${revision}", which is not an installed revision (${names.join(", ")}): a tag ` +
            "points at a revision the stack installs, and a revision is removed only once no tag points at it",
        });
      }
    });
    if (istio.injectionTag !== undefined && !tags.some((t) => t.tag === istio.injectionTag)) {
      ctx.addIssue({
        code: "custom",
        path: ["injectionTag"],
        message: `"${istio.injectionTag}" is not one of revisionTags (${JSON.stringify(tags.map((t) => t.tag))}); add it there first`,
      });
    }
  }, whenFieldsValid)
  .describe("The Istio control plane: Helm releases istio-base and istiod-<revision>, and its revision tags.");

export const istioKeys = { istio: istioSection.prefault({}) };

/** A revision the stack installs, resolved from either form of the section. */
export interface ResolvedRevision {
  readonly version: string;
  readonly revision: string;
  readonly role: RevisionRole;
  readonly compatibilityVersion?: string;
}

type IstioInput = Pick<z.output<typeof istioSection>, "version" | "revision" | "revisions" | "revisionTags">;

/** The installed revisions, oldest version first: the list form as given, or the single form as one stable entry. */
export function installedRevisions(istio: Omit<IstioInput, "revisionTags">): ResolvedRevision[] {
  if (istio.revisions !== undefined) {
    return [...istio.revisions]
      .map((r) => ({
        version: r.version,
        revision: r.revision,
        role: r.role,
        ...(r.compatibilityVersion !== undefined ? { compatibilityVersion: r.compatibilityVersion } : {}),
      }))
      .sort((a, b) => compareVersions(a.version, b.version));
  }
  const version = istio.version ?? DEFAULT_ISTIO_VERSION;
  return [{ version, revision: istio.revision ?? revisionOf(version), role: "stable" }];
}

/** The stable revision (exactly one once the section validated). */
export function stableRevision(istio: Omit<IstioInput, "revisionTags">): ResolvedRevision {
  const all = installedRevisions(istio);
  return all.find((r) => r.role === "stable") ?? (all[0] as ResolvedRevision);
}

/** Each tag with the revision it points at: a list points every tag at the stable revision. */
export function tagTargets(istio: IstioInput): { tag: string; revision: string }[] {
  const tags = istio.revisionTags;
  if (Array.isArray(tags)) {
    const stable = stableRevision(istio).revision;
    return tags.map((tag) => ({ tag, revision: stable }));
  }
  return Object.entries(tags).map(([tag, revision]) => ({ tag, revision }));
}

/** What is wrong with a list of revisions: roles, names, order and the hop limit. */
function revisionListProblems(list: z.output<typeof installedRevision>[], ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path: ["revisions", ...path], message });
  list.forEach((r, i) => {
    if (list.findIndex((o) => o.revision === r.revision) !== i)
      issue([i, "revision"], `"${r.revision}" is listed twice`);
    // A revision runs one version for its whole life: a new version is a new entry (config/guardrails.ts says why).
    if (r.revision !== revisionOf(r.version)) {
      issue(
        [i, "revision"],
        `"${r.revision}" is not the revision of version ${r.version} ("${revisionOf(r.version)}"): a revision keeps ` +
          "its version for its whole life; install another version as a new entry beside it",
      );
    }
    if (r.compatibilityVersion !== undefined) {
      const problem = compatibilityVersionProblem(r.version, r.compatibilityVersion);
      if (problem) issue([i, "compatibilityVersion"], problem);
    }
  });
  const stables = list.filter((r) => r.role === "stable");
  if (stables.length !== 1) {
    issue(
      [],
      `exactly one revision has role stable (base.defaultRevision and untagged namespaces); found ${stables.length}`,
    );
    return;
  }
  const stable = stables[0] as z.output<typeof installedRevision>;
  list.forEach((r, i) => {
    const order = compareVersions(r.version, stable.version);
    if (r.role === "canary" && order <= 0) {
      issue(
        [i, "role"],
        `a canary runs a newer version than the stable revision (${stable.version}); ${r.version} is not`,
      );
    }
    if (r.role === "previous" && order >= 0) {
      issue(
        [i, "role"],
        `a previous revision runs an older version than the stable one (${stable.version}); ${r.version} is not`,
      );
    }
  });
  if (list.filter((r) => r.role === "canary").length > 1) issue([], "at most one revision is the canary");
  const span = minorSpan(list.map((r) => r.version));
  if (span > MAX_ISTIO_HOP_MINORS) {
    issue(
      [],
      `the revisions span ${span} minors (${list.map((r) => r.version).join(", ")}): a canary upgrade jumps at most ` +
        `${MAX_ISTIO_HOP_MINORS} minors (${CANARY_UPGRADE_SOURCE}); hop through an intermediate release ` +
        "(npm run plan -- <stack> --upgrade-to X.Y.Z prints the hops)",
    );
  }
}

type IstioParsed = Parsed<typeof istioKeys>;

export const istioArea: ConfigArea<
  typeof istioKeys,
  IstioParsed & Pick<Parsed<typeof meshKeys>, "meshNamespaces"> & Pick<Parsed<typeof ingressKeys>, "ingressGateway">,
  {
    istio: Omit<IstioParsed["istio"], "version" | "revision" | "revisionTags"> & {
      /** The stable revision's version (istio.version, or the stable entry of istio.revisions). */
      readonly version: string;
      /** The stable revision: base.defaultRevision, and istio.io/rev of every namespace without a tag. */
      readonly revision: string;
      /** Every installed revision, oldest version first. */
      readonly revisions: readonly ResolvedRevision[];
      /** Each revision tag and the revision it points at. */
      readonly tags: readonly { tag: string; revision: string }[];
      /** What the other areas contribute to istiod's meshConfig (their `meshConfig`, folded by config/areas.ts). */
      readonly meshConfig: MeshConfigContributions;
    };
  }
> = {
  keys: istioKeys,
  crossChecks: (root, { key: k }) => {
    // istio-system itself is refused by meshNamespaces' own schema; another control-plane namespace only here.
    const problems = root.meshNamespaces.flatMap((ns, i) =>
      ns.name === root.istio.namespace
        ? [
            `${k(`meshNamespaces[${i}].name`)}: "${ns.name}" is the control plane's namespace (${k("istio.namespace")}) ` +
              "and must not get sidecars",
          ]
        : [],
    );
    // What a namespace or the gateway points at must be installed: a revision is removed only once nothing does.
    const targets = [
      ...installedRevisions(root.istio).map((r) => r.revision),
      ...tagTargets(root.istio).map((t) => t.tag),
    ];
    const pointer = (path: string, value: string | undefined) => {
      if (value !== undefined && !targets.includes(value)) {
        problems.push(
          `${k(path)}: "${value}" is neither an installed revision nor a revision tag (${targets.join(", ")}); point it ` +
            `at one of them (${k("istio.revisions")}, ${k("istio.revisionTags")}), and remove a revision only once ` +
            "nothing points at it",
        );
      }
    };
    root.meshNamespaces.forEach((ns, i) => pointer(`meshNamespaces[${i}].revision`, ns.revision));
    pointer("ingressGateway.revision", root.ingressGateway.revision);
    return problems;
  },
  resolve: (root, { meshConfig }) => {
    const { version: _v, revision: _r, revisionTags: _t, ...rest } = root.istio;
    const stable = stableRevision(root.istio);
    return {
      istio: {
        ...rest,
        version: stable.version,
        revision: stable.revision,
        revisions: installedRevisions(root.istio),
        tags: tagTargets(root.istio),
        meshConfig,
      },
    };
  },
};
