// How Istio itself is installed: Helm releases of Istio's charts, one explicit version for all of them, from the
// official repository. A floating or mixed version makes `pulumi up` upgrade part of the control plane unannounced,
// the opposite of "one step at a time, with a rollback for each".
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  shown,
  configOf,
  helmRelease,
  helmReleases,
  type HelmRelease,
  isIstioRelease,
  OFFICIAL_ISTIO_CHART_REPO,
  str,
  at,
  UNKNOWN,
} from "../lib";
import { compareVersions } from "../compatibility";
import { CANARY_UPGRADE_SOURCE, MAX_ISTIO_HOP_MINORS, minorSpan } from "../upgrade";

const EXACT_VERSION = /^v?[0-9]+\.[0-9]+\.[0-9]+$/;

interface RepoConfig {
  /** Helm repositories Istio charts may come from (a mirror of the official one can be added per stack). */
  allowedRepositories: string[];
}

const normalizeRepo = (r: string) => r.replace(/\/+$/, "");

export const istioHelmReleasePinned: ResourceValidationPolicy & Why = {
  name: "istio-helm-release-pinned",
  description:
    "Every Istio Helm release names one explicit chart version (MAJOR.MINOR.PATCH) from Istio's official repository, " +
    "so an upgrade only happens when the version in the stack config changes (Istio install docs, Helm).",
  enforcementLevel: "mandatory",
  why: "a range or a missing version upgrades the control plane on any `pulumi up`",
  configSchema: {
    properties: {
      allowedRepositories: {
        type: "array",
        items: { type: "string" },
        default: [OFFICIAL_ISTIO_CHART_REPO],
        description: "Helm repositories Istio charts may come from.",
      },
    },
  },
  validateResource: (args, report) => {
    const release = helmRelease(args.type, args.props, args.urn);
    if (!release || isIstioRelease(release) !== true) return;
    const cfg = configOf<RepoConfig>(args, { allowedRepositories: [OFFICIAL_ISTIO_CHART_REPO] });
    const where = `Helm release of chart "${shown(release.chart)}" (${args.name})`;
    if (release.version === undefined) {
      report(
        `${where} has no version: Helm would install whatever is newest. Set an explicit version such as "1.23.4" (config aks-mesh:istio.version).`,
      );
    } else if (release.version !== UNKNOWN && !EXACT_VERSION.test(release.version)) {
      report(
        `${where} has version "${release.version}", a range or tag: pin one exact version such as "1.23.4" (config aks-mesh:istio.version).`,
      );
    }
    if (release.repo === UNKNOWN) return;
    const allowed = cfg.allowedRepositories.map(normalizeRepo);
    if (release.repo === undefined || !allowed.includes(normalizeRepo(release.repo))) {
      report(
        `${where} comes from ${release.repo === undefined ? "no repository" : `"${release.repo}"`}; Istio charts must come from ` +
          `${allowed.map((a) => `"${a}"`).join(" or ")} (config aks-mesh:istio.chartRepository; allow a mirror with this policy's allowedRepositories).`,
      );
    }
  },
};

/** The version an Istio release installs, with the image tag it forces (istiod's global.tag), when known. */
function versionsOf(r: HelmRelease): { version: string; tag?: string } | undefined {
  if (typeof r.version !== "string") return undefined;
  const tag = str(at(r.values, "global", "tag"));
  return typeof tag === "string" ? { version: r.version, tag } : { version: r.version };
}

const bare = (v: string) => v.replace(/^v/, "");

type Known = { r: HelmRelease; v: { version: string; tag?: string } };

function knownIstioReleases(resources: Parameters<typeof helmReleases>[0]): Known[] {
  return helmReleases(resources)
    .filter((r) => isIstioRelease(r) === true)
    .map((r) => ({ r, v: versionsOf(r) }))
    .filter((x): x is Known => x.v !== undefined);
}

/** The versions of the istiod releases (one per installed revision), newest last. */
function revisionVersions(known: Known[]): string[] {
  return [...new Set(known.filter((k) => k.r.chart === "istiod").map((k) => bare(k.v.version)))].sort(compareVersions);
}

export const istioHelmReleasesSameVersion: StackValidationPolicy & Why = {
  name: "istio-helm-releases-same-version",
  description:
    "All Istio Helm releases (base, istiod, gateway, cni, ztunnel) and istiod's image tag are the same version: Istio " +
    "supports a data plane at most one minor behind, and CRDs from another release than istiod break validation (Istio " +
    "upgrade docs). During a canary upgrade each istiod revision runs its own version; base then runs the newest of " +
    "them (CRDs are upgraded first and serve the older revision too) and every other chart one of them " +
    "(https://istio.io/latest/docs/setup/upgrade/canary/).",
  enforcementLevel: "mandatory",
  why: "CRDs, istiod and gateways from different releases break validation and injection",
  validateStack: (args, report) => {
    const known = knownIstioReleases(args.resources);
    for (const { r, v } of known) {
      if (v.tag !== undefined && !/^[0-9a-f]{7,}$/.test(v.tag) && bare(v.tag).split("-")[0] !== bare(v.version)) {
        report(
          `Istio release "${shown(r.chart)}" installs chart ${v.version} but sets global.tag "${v.tag}": the proxies and istiod ` +
            `would run another version than the chart. Remove global.tag or make it ${bare(v.version)} (config aks-mesh:istio.version).`,
          r.urn,
        );
      }
    }
    const listing = known.map((k) => `${shown(k.r.chart)}=${k.v.version}`).join(", ");
    const revisions = revisionVersions(known);
    if (revisions.length > 1) {
      // Side by side: base at the newest revision, every other chart at one of the revisions' versions.
      const newest = revisions[revisions.length - 1] as string;
      for (const { r, v } of known) {
        const version = bare(v.version);
        if (r.chart === "base" && version !== newest) {
          report(
            `Istio release "base" installs ${v.version} while the newest istiod revision runs ${newest} (${listing}): the ` +
              "CRDs must be the newest revision's, upgraded before it and never downgraded while it runs " +
              "(config aks-mesh:istio.revisions).",
            r.urn,
          );
        } else if (r.chart !== "base" && r.chart !== "istiod" && !revisions.includes(version)) {
          report(
            `Istio release "${shown(r.chart)}" installs ${v.version}, the version of no installed istiod revision ` +
              `(${revisions.join(", ")}): give it the version of the revision that serves it (config aks-mesh:istio.revisions).`,
            r.urn,
          );
        }
      }
      return;
    }
    const versions = new Set(known.map((k) => bare(k.v.version)));
    if (versions.size <= 1) return;
    // Name the odd ones out: the version most releases use is taken as the intended one.
    const count = (v: string) => known.filter((k) => bare(k.v.version) === v).length;
    const majority = [...versions].sort((a, b) => count(b) - count(a))[0] as string;
    for (const { r, v } of known) {
      if (bare(v.version) === majority) continue;
      report(
        `Istio release "${shown(r.chart)}" installs ${v.version} while the others install ${majority} (${listing}): every ` +
          "Istio chart must use the same version (config aks-mesh:istio.version). Upgrade them together, base first, " +
          "or install the new version as a second revision (config aks-mesh:istio.revisions).",
        r.urn,
      );
    }
  },
};

export const istioCanaryHopWithinTwoMinors: StackValidationPolicy & Why = {
  name: "istio-canary-hop-within-two-minors",
  description:
    'The istiod revisions installed side by side are at most two minors apart: "When using revision-based upgrades ' +
    'jumping across two minor versions is supported" and no further (https://istio.io/latest/docs/setup/upgrade/canary/); ' +
    "a longer hop goes through an intermediate release.",
  enforcementLevel: "mandatory",
  why: "Istio supports a canary upgrade across at most two minors",
  validateStack: (args, report) => {
    const known = knownIstioReleases(args.resources);
    const revisions = revisionVersions(known);
    if (revisions.length < 2) return;
    const span = minorSpan(revisions);
    if (span <= MAX_ISTIO_HOP_MINORS) return;
    const newest = revisions[revisions.length - 1] as string;
    for (const { r, v } of known) {
      if (r.chart !== "istiod" || bare(v.version) !== newest) continue;
      report(
        `istiod ${newest} runs beside ${revisions.slice(0, -1).join(", ")}: a hop of ${span} minors, where Istio's canary ` +
          `upgrade allows ${MAX_ISTIO_HOP_MINORS} (${CANARY_UPGRADE_SOURCE}). Hop through an intermediate release first ` +
          "(npm run plan -- <stack> --upgrade-to X.Y.Z prints the hops; config aks-mesh:istio.revisions).",
        r.urn,
      );
    }
  },
};

/** Istio's own image registries: Docker Hub, and the Google Artifact Registry mirror Istio publishes every release to. */
export const OFFICIAL_ISTIO_HUBS = ["docker.io/istio", "gcr.io/istio-release"];

interface HubConfig {
  /** Registries Istio images may come from (a vetted mirror such as an ACR is added per stack). */
  allowedHubs: string[];
}

export const istioImageHubAllowed: ResourceValidationPolicy & Why = {
  name: "istio-image-hub-allowed",
  description:
    "Istio's images (istiod, every sidecar and the gateway's proxy) come from Istio's registries or a mirror the stack " +
    "names in this policy's allowedHubs: global.hub decides what runs beside every workload (Istio Helm values, global.hub).",
  enforcementLevel: "mandatory",
  why: "`global.hub` picks the image that runs beside every workload; a mirror goes in `allowedHubs`",
  configSchema: {
    properties: {
      allowedHubs: {
        type: "array",
        items: { type: "string" },
        default: OFFICIAL_ISTIO_HUBS,
        description: "Image registries Istio's images may come from.",
      },
    },
  },
  validateResource: (args, report) => {
    const release = helmRelease(args.type, args.props, args.urn);
    if (!release || isIstioRelease(release) !== true) return;
    const hub = str(at(release.values, "global", "hub"));
    // Unset or empty: the chart's default, which is Istio's own registry in every published chart.
    if (hub === undefined || hub === UNKNOWN || hub === "") return;
    const { allowedHubs } = configOf<HubConfig>(args, { allowedHubs: OFFICIAL_ISTIO_HUBS });
    const allowed = allowedHubs.map(normalizeRepo);
    if (allowed.includes(normalizeRepo(hub))) return;
    report(
      `Helm release of chart "${shown(release.chart)}" (${args.name}) pulls Istio's images from "${hub}", which is not ` +
        `${allowed.map((a) => `"${a}"`).join(" or ")}: remove aks-mesh:istio.hub to use Istio's registry, or add a ` +
        "vetted mirror to this policy's allowedHubs.",
    );
  },
};
