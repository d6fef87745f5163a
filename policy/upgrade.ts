// The hop plan: from the Istio/Kubernetes pair a cluster runs to a target Istio release, the ordered steps that keep
// every intermediate pair inside both Istio's support table and AKS's Kubernetes calendar (compatibility.ts). Istio
// moves by canary revisions, at most two minors per hop: "When using revision-based upgrades jumping across two minor
// versions is supported (e.g. upgrading directly from version 1.8 to 1.10)" (https://istio.io/latest/docs/setup/upgrade/canary/,
// istio/istio.io content/en/docs/setup/upgrade/canary/index.md). AKS upgrades the cluster one Kubernetes minor at a
// time and never downgrades it. Pure: the day AKS's offer is judged on is a parameter; the pack may use this, the
// program and tools/plan print it.
import {
  aksOffer,
  type AksSupportPlan,
  AKS_VERSIONS_SOURCE,
  compareMinors,
  describeOffer,
  type IsoDate,
  ISTIO_RELEASES,
  ISTIO_SUPPORT_SOURCE,
  istioRelease,
  type IstioRelease,
  kubernetesChoices,
  kubernetesRange,
  minorOf,
} from "./compatibility";

/** Istio's canary-upgrade docs: a revision-based upgrade may jump at most this many minors. */
export const MAX_ISTIO_HOP_MINORS = 2;
export const CANARY_UPGRADE_SOURCE = "https://istio.io/latest/docs/setup/upgrade/canary/";

/** A revision's part in a canary upgrade (config istio.revisions[].role). */
export type RevisionRole = "stable" | "canary" | "previous";

/** The number of minors between the oldest and the newest of some Istio versions (0 for one minor). */
export function minorSpan(versions: readonly string[]): number {
  const minors = versions.map(minorOf).filter((m): m is string => m !== undefined);
  if (minors.length === 0) return 0;
  const sorted = [...minors].sort(compareMinors);
  return minorDistance(sorted[0] as string, sorted[sorted.length - 1] as string);
}

/**
 * How many minors back an istiod chart's compatibility profiles reach: the chart of minor N ships
 * files/profile-compatibility-version-<N-3..N-1>.yaml (istio/istio manifests/charts/istio-control/istio-discovery/files
 * at 1.24.0: 1.21–1.23; 1.25.5: 1.22–1.24; 1.26.8: 1.23–1.25; 1.27.9: 1.24–1.26; 1.28.10: 1.25–1.27), and its
 * zzz_profile.yaml fails the install with "unknown compatibility version" for any other value.
 */
export const COMPATIBILITY_PROFILES_BACK = 3;

/** Why `compatibilityVersion` cannot be set on a revision of `version`; undefined when the chart has its profile. */
export function compatibilityVersionProblem(version: string, compatibilityVersion: string): string | undefined {
  const minor = minorOf(version);
  const compat = minorOf(compatibilityVersion);
  if (!minor || !compat) return `"${compatibilityVersion}" is not a minor such as "1.23"`;
  const back = minorDistance(compat, minor);
  if (back >= 1 && back <= COMPATIBILITY_PROFILES_BACK) return undefined;
  return (
    `the istiod ${minor} chart has compatibility profiles for the ${COMPATIBILITY_PROFILES_BACK} minors before it ` +
    `only (files/profile-compatibility-version-<minor>.yaml), not ${compatibilityVersion}; its install would fail ` +
    `with "unknown compatibility version"`
  );
}

/** Where the cluster's Kubernetes version is set: the stack's config, or `az aks upgrade` on a cluster it only reads. */
export type UpgradeCluster =
  { readonly mode: "create" } | { readonly mode: "existing"; readonly resourceGroup?: string; readonly name?: string };

/** A pair the cluster runs after a step: Istio X.Y.Z, Kubernetes minor. */
export interface UpgradeState {
  readonly istio: string;
  readonly kubernetes: string;
}

interface StepCommon {
  /** The pair once the step is done. */
  readonly after: UpgradeState;
  /** The config change or command that makes the step. */
  readonly change: readonly string[];
  /** What to check before going on. */
  readonly check: readonly string[];
  /** How to undo it, or why it cannot be undone. */
  readonly rollback: readonly string[];
  /** Facts about the pair after the step (LTS only, outside AKS support). */
  readonly notes: readonly string[];
}

export interface IstioHop extends StepCommon {
  readonly kind: "istio";
  readonly from: string;
  readonly to: string;
  readonly fromRevision: string;
  readonly toRevision: string;
  /** Target minor − source minor (0 for a patch). */
  readonly minors: number;
}

export interface KubernetesUpgrade extends StepCommon {
  readonly kind: "kubernetes";
  readonly from: string;
  readonly to: string;
  /** AKS's offer of `to` on the day of the plan; undefined when `to` is already outside AKS support. */
  readonly offer?: { readonly plan: AksSupportPlan; readonly until: IsoDate };
}

export type UpgradeStep = IstioHop | KubernetesUpgrade;

export type UpgradePath =
  | {
      readonly ok: true;
      readonly from: UpgradeState;
      readonly to: string;
      readonly today: IsoDate;
      /** What is wrong with the starting pair; empty when it is inside both tables. */
      readonly start: readonly string[];
      /** The number of steps after which the pair is inside both tables (0 when it already is). */
      readonly insideAfter: number;
      readonly steps: readonly UpgradeStep[];
      /** About the end state (e.g. Kubernetes minors with standard support to move on to). */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** "1.25.5" -> "1-25-5", the revision name Istio's docs recommend (dots are not valid in a revision). */
export function revisionName(version: string): string {
  return version.replace(/\./g, "-");
}

function patchOf(version: string): number[] | undefined {
  const m = /^v?([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** "1.27" + 1 -> "1.28". */
function nextMinor(minor: string): string {
  const [major = 0, n = 0] = minor.split(".").map(Number);
  return `${major}.${n + 1}`;
}

function minorDistance(from: string, to: string): number {
  const [fm = 0, fn = 0] = from.split(".").map(Number);
  const [tm = 0, tn = 0] = to.split(".").map(Number);
  return fm === tm ? tn - fn : Number.POSITIVE_INFINITY;
}

/** An AKS offer ending within this many days of the plan's day counts against a path (the tie-breaker `soon`). */
const SOON_DAYS = 90;

function endsSoon(k8s: string, today: IsoDate): boolean {
  const offer = aksOffer(k8s, today);
  return offer.offered && Date.parse(offer.until) - Date.parse(today) < SOON_DAYS * 86_400_000;
}

/** AKS's side of a Kubernetes minor on `today`: offered (with plan), retired (still upgradable out of), or unusable. */
function aksSide(k8s: string, today: IsoDate): "standard" | "lts" | "retired" | "unusable" {
  const offer = aksOffer(k8s, today);
  if (offer.offered) return offer.plan === "KubernetesOfficial" ? "standard" : "lts";
  return offer.reason === "retired" ? "retired" : "unusable";
}

interface Node {
  istio: string;
  k8s: string;
  steps: UpgradeStep[];
  /**
   * The tie-breakers, in order: pairs after the start outside AKS support, pairs whose AKS offer ends within
   * SOON_DAYS of the plan's day (the cluster may not reach the next step in time), pairs AKS offers only under LTS.
   */
  outside: number;
  soon: number;
  lts: number;
}

/**
 * The ordered steps from `from` (Istio X.Y.Z on a Kubernetes version) to Istio `to` (X.Y.Z), with AKS's offer judged
 * on `today`: the fewest steps; among those, the fewest pairs outside AKS support, then the fewest whose AKS offer ends
 * within 90 days, then the fewest AKS keeps only under long-term support. Re-plan before each step: AKS's offer moves. Intermediate hops land on each release's checkedPatch, the last on `to`. Every pair after
 * the start is supported by Istio's table; AKS offers each one, except that a cluster already behind AKS's calendar
 * passes through the retired minors it must climb (AKS upgrades one minor at a time). A start outside either table is
 * allowed: the first steps bring it inside, and `insideAfter` says when.
 */
export function upgradePath(
  from: { istio: string; kubernetes: string },
  to: string,
  today: IsoDate,
  cluster: UpgradeCluster = { mode: "existing" },
): UpgradePath {
  const toPatch = patchOf(to);
  const fromPatch = patchOf(from.istio);
  const targetRelease = istioRelease(to);
  const sourceRelease = istioRelease(from.istio);
  const k8s = minorOf(from.kubernetes);
  const known = `the table lists Istio ${[...ISTIO_RELEASES]
    .reverse()
    .map((r) => r.minor)
    .join(", ")} (${ISTIO_SUPPORT_SOURCE.url}, read ${ISTIO_SUPPORT_SOURCE.read})`;
  if (!toPatch) return { ok: false, reason: `the target ${to} is not an Istio version X.Y.Z` };
  if (!fromPatch) return { ok: false, reason: `the installed Istio ${from.istio} is not a version X.Y.Z` };
  if (!k8s) return { ok: false, reason: `the cluster's Kubernetes ${from.kubernetes} is not a version` };
  if (!targetRelease) return { ok: false, reason: `Istio ${to} is not in the compatibility table: ${known}` };
  if (!sourceRelease)
    return { ok: false, reason: `the installed Istio ${from.istio} is not in the compatibility table: ${known}` };
  if (compareVersions(toPatch, fromPatch) < 0) {
    return {
      ok: false,
      reason:
        `Istio ${to} is older than the installed ${from.istio}: the hop plan only moves forward (a rollback points ` +
        "namespaces back at the old revision; it never downgrades the istio-base chart or the CRDs)",
    };
  }

  const versionOf = (r: IstioRelease): string => (r.minor === targetRelease.minor ? to : r.checkedPatch);
  const supports = (istio: string, kube: string) => istioRelease(istio)?.kubernetes.includes(kube) === true;
  const usable = (kube: string) => aksSide(kube, today) !== "unusable";
  const insideBoth = (istio: string, kube: string) =>
    supports(istio, kube) && ["standard", "lts"].includes(aksSide(kube, today));
  const key = (istio: string, kube: string) => `${istio}|${kube}`;
  const better = (a: Node, b: Node) => a.outside - b.outside || a.soon - b.soon || a.lts - b.lts;

  const start: Node = { istio: from.istio, k8s, steps: [], outside: 0, soon: 0, lts: 0 };
  const seen = new Set<string>([key(start.istio, start.k8s)]);
  let layer: Node[] = [start];
  for (let depth = 0; depth < 64 && layer.length > 0; depth++) {
    const goals = layer.filter((n) => n.istio === to && insideBoth(n.istio, n.k8s));
    const goal = goals.sort(better)[0];
    if (goal) return done(from, to, today, k8s, goal.steps);
    const next = new Map<string, Node>();
    const reach = (node: Node, istio: string, kube: string, step: UpgradeStep) => {
      const id = key(istio, kube);
      if (seen.has(id) || !supports(istio, kube) || !usable(kube)) return;
      const side = aksSide(kube, today);
      const candidate: Node = {
        istio,
        k8s: kube,
        steps: [...node.steps, step],
        outside: node.outside + (side === "retired" ? 1 : 0),
        soon: node.soon + (endsSoon(kube, today) ? 1 : 0),
        lts: node.lts + (side === "lts" ? 1 : 0),
      };
      const held = next.get(id);
      if (!held || better(candidate, held) < 0) next.set(id, candidate);
    };
    for (const node of layer) {
      const current = istioRelease(node.istio) as IstioRelease;
      for (const release of ISTIO_RELEASES) {
        const distance = minorDistance(current.minor, release.minor);
        const target = versionOf(release);
        // A patch of the target's own minor is a hop of 0 minors (only from the installed version).
        const forward =
          distance > 0 ||
          (distance === 0 && release === targetRelease && target !== node.istio && node.istio === from.istio);
        if (!forward || distance > MAX_ISTIO_HOP_MINORS || compareMinors(release.minor, targetRelease.minor) > 0)
          continue;
        reach(node, target, node.k8s, istioHop(node.istio, target, node.k8s, today));
      }
      const up = nextMinor(node.k8s);
      reach(node, node.istio, up, kubernetesUpgrade(node.k8s, up, node.istio, today, cluster));
    }
    for (const id of next.keys()) seen.add(id);
    layer = [...next.values()];
  }
  return { ok: false, reason: noPathReason(from, k8s, sourceRelease, targetRelease, to, today) };
}

function done(
  from: { istio: string; kubernetes: string },
  to: string,
  today: IsoDate,
  k8s: string,
  steps: UpgradeStep[],
): UpgradePath {
  const startProblems = pairProblems(from.istio, k8s, today);
  let insideAfter = 0;
  if (startProblems.length > 0) {
    insideAfter = steps.findIndex((s) => pairProblems(s.after.istio, s.after.kubernetes, today).length === 0) + 1;
  }
  const last = steps[steps.length - 1]?.after ?? { istio: from.istio, kubernetes: k8s };
  const notes: string[] = [];
  if (aksSide(last.kubernetes, today) === "lts") {
    const standard = kubernetesChoices(to, today).filter((o) => o.plan === "KubernetesOfficial");
    notes.push(
      `Kubernetes ${last.kubernetes} is offered by AKS only under long-term support (Premium tier, supportPlan ` +
        `AKSLongTermSupport)` +
        (standard.length > 0
          ? `; Istio ${to} also runs on ${standard.map(describeOffer).join(", ")}: upgrade the cluster on, one minor at a time, to leave LTS`
          : ""),
    );
  }
  return {
    ok: true,
    from: { istio: from.istio, kubernetes: k8s },
    to,
    today,
    start: startProblems,
    insideAfter,
    steps,
    notes,
  };
}

/** What is wrong with a pair on `today`: outside Istio's table, outside AKS's calendar. */
function pairProblems(istio: string, k8s: string, today: IsoDate): string[] {
  const out: string[] = [];
  const release = istioRelease(istio);
  if (release && !release.kubernetes.includes(k8s)) {
    out.push(`Istio ${istio} supports Kubernetes ${kubernetesRange(release)}, not ${k8s}`);
  }
  const offer = aksOffer(k8s, today);
  if (!offer.offered) {
    out.push(
      offer.reason === "retired"
        ? `AKS no longer supports Kubernetes ${k8s}${offer.since ? ` (its long-term support ended ${offer.since})` : ""}`
        : `Kubernetes ${k8s} is not in AKS's calendar on ${today}`,
    );
  }
  return out;
}

function noPathReason(
  from: { istio: string; kubernetes: string },
  k8s: string,
  source: IstioRelease,
  target: IstioRelease,
  to: string,
  today: IsoDate,
): string {
  const head = `no sequence of canary hops (at most ${MAX_ISTIO_HOP_MINORS} minors, ${CANARY_UPGRADE_SOURCE}) and AKS minor upgrades takes Istio ${from.istio} on Kubernetes ${k8s} to Istio ${to} with every pair inside Istio's table (${ISTIO_SUPPORT_SOURCE.url}) and AKS's calendar on ${today} (${AKS_VERSIONS_SOURCE.url})`;
  const top = target.kubernetes[target.kubernetes.length - 1] ?? k8s;
  if (compareMinors(k8s, top) > 0) {
    return `${head}: Istio ${to} supports Kubernetes ${kubernetesRange(target)}, the cluster runs ${k8s}, and AKS never downgrades a cluster; choose a target that supports ${k8s}`;
  }
  if (kubernetesChoices(to, today).length === 0) {
    return `${head}: AKS offers none of Istio ${to}'s Kubernetes versions (${kubernetesRange(target)}) on ${today}`;
  }
  if (!source.kubernetes.includes(k8s)) {
    const reachable = ISTIO_RELEASES.filter((r) => {
      const d = minorDistance(source.minor, r.minor);
      return d > 0 && d <= MAX_ISTIO_HOP_MINORS;
    });
    if (!reachable.some((r) => r.kubernetes.includes(k8s)) && compareMinors(k8s, source.kubernetes[0] ?? k8s) > 0) {
      return (
        `${head}: the cluster's Kubernetes ${k8s} is already outside Istio ${from.istio}'s range (${kubernetesRange(source)}), ` +
        `so the first step must be a hop to a release that supports ${k8s}, and none within ${MAX_ISTIO_HOP_MINORS} minors does ` +
        `(${reachable.map((r) => `${r.minor}: ${kubernetesRange(r)}`).join("; ") || "none listed"}); AKS never downgrades a cluster`
      );
    }
  }
  return head;
}

const PROXY_STATUS = "istioctl proxy-status: every proxy SYNCED (CDS, LDS, EDS, RDS)";
const FIVE_XX =
  '5xx ratio no higher than before: sum(rate(istio_requests_total{reporter="destination",response_code=~"5.."}[5m])) / ' +
  'sum(rate(istio_requests_total{reporter="destination"}[5m]))';

function istioHop(from: string, to: string, k8s: string, today: IsoDate): IstioHop {
  const fromRevision = revisionName(from);
  const toRevision = revisionName(to);
  const minors = minorDistance(minorOf(from) ?? from, minorOf(to) ?? to);
  // A 1.24+ chart keeps the old minor's defaults when it has its compatibility profile (compatibilityVersionProblem).
  const keepsDefaults =
    minors > 0 &&
    compareMinors(minorOf(to) ?? to, "1.24") >= 0 &&
    !compatibilityVersionProblem(to, minorOf(from) ?? from);
  return {
    kind: "istio",
    from,
    to,
    fromRevision,
    toRevision,
    minors,
    after: { istio: to, kubernetes: k8s },
    change: [
      `add the canary: aks-mesh:istio.revisions lists { version: ${to}, revision: ${toRevision}, role: canary` +
        (keepsDefaults ? `, compatibilityVersion: "${minorOf(from) ?? from}"` : "") +
        ` } beside { version: ${from}, revision: ${fromRevision}, role: stable }, and aks-mesh:istio.revisionTags ` +
        `<canary tag>: ${toRevision}; the istio-base chart and its CRDs move to ${to} first, before any object of the ` +
        "new revision uses a new field",
      `move one namespace (aks-mesh:meshNamespaces[].revision: <canary tag>) or the gateway (aks-mesh:ingressGateway.revision), ` +
        `kubectl rollout restart it, then all at once: aks-mesh:istio.revisionTags <stable tag>: ${toRevision}, and restart the rest`,
      `promote: role stable on ${toRevision}, previous on ${fromRevision} (base.defaultRevision follows the stable role)`,
      `remove ${fromRevision} from aks-mesh:istio.revisions once nothing points at it (policy istio-revision-removed-only-when-unreferenced; live: the checks below)`,
      ...(keepsDefaults
        ? [
            `then, in a step of its own, drop compatibilityVersion from ${toRevision} to take ${minorOf(to) ?? to}'s defaults (a restart of the proxies)`,
          ]
        : []),
    ],
    check: [
      `before: istioctl x precheck (istioctl ${to}); docs/upgrades.md lists the upgrade notes that apply`,
      `${PROXY_STATUS}, and each restarted proxy on istiod-${toRevision}; kubectl get pods -A -L istio.io/rev shows none left on ${fromRevision} before it is removed`,
      `pilot_xds_pushes of istiod-${toRevision} rising while pilot_total_xds_rejects stays flat`,
      FIVE_XX,
    ],
    rollback: [
      `until the removal: point the tags, the namespaces' and the gateway's istio.io/rev back at ${fromRevision} (role stable ` +
        `again if promoted) and restart them; remove revision ${toRevision} only once nothing points at it`,
      `never downgrade the istio-base chart or the CRDs: they stay at ${to}, which serve revision ${fromRevision} too`,
    ],
    notes: pairProblems(to, k8s, today),
  };
}

function kubernetesUpgrade(
  from: string,
  to: string,
  istio: string,
  today: IsoDate,
  cluster: UpgradeCluster,
): KubernetesUpgrade {
  const offer = aksOffer(to, today);
  const lts = offer.offered && offer.plan === "AKSLongTermSupport";
  const change: string[] = [];
  if (cluster.mode === "create") {
    change.push(`aks-mesh:cluster.create.kubernetesVersion: "${to}"`);
    if (lts)
      change.push(
        "with aks-mesh:cluster.create.tier: Premium and aks-mesh:cluster.create.supportPlan: AKSLongTermSupport",
      );
  } else {
    const g = cluster.resourceGroup ?? "<resource-group>";
    const n = cluster.name ?? "<cluster>";
    if (lts)
      change.push(
        `az aks update -g ${g} -n ${n} --tier premium --k8s-support-plan AKSLongTermSupport (LTS needs them)`,
      );
    change.push(
      `az aks get-upgrades -g ${g} -n ${n} -o table lists the ${to} patches; az aks upgrade -g ${g} -n ${n} --kubernetes-version <${to} patch>`,
    );
  }
  return {
    kind: "kubernetes",
    from,
    to,
    ...(offer.offered ? { offer: { plan: offer.plan, until: offer.until } } : {}),
    after: { istio, kubernetes: to },
    change,
    check: [
      `kubectl get nodes: every node on ${to}`,
      `${PROXY_STATUS}: the proxies reconnected after the node drains`,
      "pilot_xds_pushes steady, pilot_total_xds_rejects flat",
      FIVE_XX,
    ],
    rollback: [
      `none: AKS never downgrades a cluster's Kubernetes version; Istio ${istio} supports ${to} (${ISTIO_SUPPORT_SOURCE.url}), checked before this step`,
    ],
    notes: [
      ...(offer.offered && offer.plan === "AKSLongTermSupport"
        ? [`AKS offers Kubernetes ${to} only under long-term support, until ${offer.until}`]
        : []),
      ...pairProblems(istio, to, today),
    ],
  };
}
