// Which Kubernetes versions each Istio release supports, and which Kubernetes versions AKS offers and until when: the
// data both config validation (config/compatibility.ts) and the pack (policy/install/cluster-version.ts) decide from. It lives
// with the pack because the pack never imports the program; the program imports it. Pure data and pure functions: no
// clock is read here, every date-dependent answer takes the date it is asked for.
//
// Refresh it when Istio or AKS publish a new row: update the rows, the `read` dates and the sources below, and add the
// Istio chart values and CRDs of a new minor to the checks docs/kubernetes-istio-versions.md names.

/** A calendar date, "YYYY-MM-DD" (UTC). */
export type IsoDate = string;

/** One Istio minor release as Istio's support table lists it. */
export interface IstioRelease {
  /** "1.25". */
  readonly minor: string;
  /** The patch this program's chart values and the plan's CRD check were verified against. */
  readonly checkedPatch: string;
  readonly released: IsoDate;
  /** End of life: no more patches, security fixes included, after this day. */
  readonly endOfLife: IsoDate;
  /** True when the table gives the end of life as "~Mon YYYY (Expected)"; the date is then that month's last day. */
  readonly endOfLifeExpected?: boolean;
  /** Kubernetes minors the release supports ("Supported Kubernetes Versions"; tested-only versions excluded). */
  readonly kubernetes: readonly string[];
}

/** Istio's support table (https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases). */
export const ISTIO_SUPPORT_SOURCE = {
  url: "https://istio.io/latest/docs/releases/supported-releases/",
  /** The page renders this data file of istio/istio.io. */
  data: "https://github.com/istio/istio.io/blob/master/data/compatibility/supportStatus.yml",
  read: "2026-11-30",
} as const;

/**
 * Newest first, as Istio lists them. checkedPatch: the patch whose charts (manifests/charts at the tag) and CRDs were
 * compared with what this program sends; 1.23.4 is the version production runs, the others the last patch of their line.
 */
export const ISTIO_RELEASES: readonly IstioRelease[] = [
  {
    minor: "1.30",
    checkedPatch: "1.30.3",
    released: "2026-05-14",
    endOfLife: "2026-11-30",
    endOfLifeExpected: true,
    kubernetes: ["1.32", "1.33", "1.34", "1.35", "1.36"],
  },
  {
    minor: "1.29",
    checkedPatch: "1.29.6",
    released: "2026-02-16",
    endOfLife: "2026-08-31",
    endOfLifeExpected: true,
    kubernetes: ["1.31", "1.32", "1.33", "1.34", "1.35"],
  },
  {
    minor: "1.28",
    checkedPatch: "1.28.10",
    released: "2025-11-05",
    endOfLife: "2026-07-01",
    kubernetes: ["1.30", "1.31", "1.32", "1.33", "1.34"],
  },
  {
    minor: "1.27",
    checkedPatch: "1.27.9",
    released: "2025-08-11",
    endOfLife: "2026-04-07",
    kubernetes: ["1.29", "1.30", "1.31", "1.32", "1.33"],
  },
  {
    minor: "1.26",
    checkedPatch: "1.26.8",
    released: "2025-05-08",
    endOfLife: "2025-12-22",
    kubernetes: ["1.29", "1.30", "1.31", "1.32", "1.33"],
  },
  {
    minor: "1.25",
    checkedPatch: "1.25.5",
    released: "2025-03-03",
    endOfLife: "2025-09-30",
    kubernetes: ["1.29", "1.30", "1.31", "1.32"],
  },
  {
    minor: "1.24",
    checkedPatch: "1.24.6",
    released: "2024-11-07",
    endOfLife: "2025-06-24",
    kubernetes: ["1.28", "1.29", "1.30", "1.31"],
  },
  {
    minor: "1.23",
    checkedPatch: "1.23.4",
    released: "2024-08-14",
    endOfLife: "2025-04-16",
    kubernetes: ["1.27", "1.28", "1.29", "1.30"],
  },
];

/** One Kubernetes minor on AKS: when it is offered under which support plan. */
export interface AksKubernetesVersion {
  readonly minor: string;
  /** Generally available in AKS: the last day of the GA month (a GA rolls out to all regions within that month). */
  readonly generallyAvailable: IsoDate;
  /** Last day of community support: the standard plan (KubernetesOfficial) on any tier. */
  readonly communitySupportEnds: IsoDate;
  /** Last day of long-term support: plan AKSLongTermSupport, which needs the Premium tier. */
  readonly longTermSupportEnds: IsoDate;
}

/**
 * AKS's Kubernetes release calendar and its LTS table ("Supported Kubernetes versions in AKS"). A month without a day
 * means that month's last day, as the page says. Versions not listed here AKS no longer offers (or not yet).
 */
export const AKS_VERSIONS_SOURCE = {
  url: "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions",
  data: "https://github.com/MicrosoftDocs/azure-aks-docs/blob/main/articles/aks/supported-kubernetes-versions.md",
  lts: "https://learn.microsoft.com/azure/aks/long-term-support",
  read: "2026-11-30",
} as const;

export const AKS_KUBERNETES_VERSIONS: readonly AksKubernetesVersion[] = [
  {
    minor: "1.29",
    generallyAvailable: "2024-03-31",
    communitySupportEnds: "2025-03-31",
    longTermSupportEnds: "2026-04-30",
  },
  {
    minor: "1.30",
    generallyAvailable: "2024-07-31",
    communitySupportEnds: "2025-08-22",
    longTermSupportEnds: "2026-07-31",
  },
  {
    minor: "1.31",
    generallyAvailable: "2024-11-30",
    communitySupportEnds: "2025-11-01",
    longTermSupportEnds: "2026-11-30",
  },
  {
    minor: "1.32",
    generallyAvailable: "2025-04-30",
    communitySupportEnds: "2026-03-31",
    longTermSupportEnds: "2027-03-31",
  },
  {
    minor: "1.33",
    generallyAvailable: "2025-06-30",
    communitySupportEnds: "2026-07-31",
    longTermSupportEnds: "2027-07-31",
  },
  {
    minor: "1.34",
    generallyAvailable: "2025-11-30",
    communitySupportEnds: "2026-11-30",
    longTermSupportEnds: "2027-11-30",
  },
  {
    minor: "1.35",
    generallyAvailable: "2026-03-31",
    communitySupportEnds: "2027-03-31",
    longTermSupportEnds: "2028-03-31",
  },
  {
    minor: "1.36",
    generallyAvailable: "2026-06-30",
    communitySupportEnds: "2027-06-30",
    longTermSupportEnds: "2028-06-30",
  },
  {
    minor: "1.37",
    generallyAvailable: "2026-10-31",
    communitySupportEnds: "2027-10-31",
    longTermSupportEnds: "2028-10-31",
  },
];

/** AKS support plans (ManagedCluster supportPlan) and the tier each one needs. */
export type AksSupportPlan = "KubernetesOfficial" | "AKSLongTermSupport";

/** How AKS offers a Kubernetes minor on a given day. */
export type AksOffer =
  | {
      readonly offered: true;
      readonly plan: AksSupportPlan;
      readonly until: IsoDate;
      readonly lts: AksKubernetesVersion;
    }
  | { readonly offered: false; readonly reason: "retired" | "not-yet" | "unknown"; readonly since?: IsoDate };

/** "1.32.7", "1.32" or "v1.32.7" -> "1.32"; undefined when the text is not a version. */
export function minorOf(version: string): string | undefined {
  const m = /^v?([0-9]+)\.([0-9]+)(\.[0-9]+)?([-+].*)?$/.exec(version.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** Numeric order of two minors ("1.9" < "1.10"). */
export function compareMinors(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** Numeric order of two releases ("1.23.4" < "1.25.5"; a missing part counts as 0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The date of a Date in UTC, "YYYY-MM-DD". */
export function isoDate(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

/** The table row of an Istio version ("1.25.5" or "1.25"), if the program supports that minor. */
export function istioRelease(version: string): IstioRelease | undefined {
  const minor = minorOf(version);
  return ISTIO_RELEASES.find((r) => r.minor === minor);
}

/** Whether Istio `istioVersion` supports Kubernetes `kubernetesVersion`; undefined when the Istio minor is not listed. */
export function istioSupportsKubernetes(istioVersion: string, kubernetesVersion: string): boolean | undefined {
  const release = istioRelease(istioVersion);
  const k8s = minorOf(kubernetesVersion);
  if (!release || !k8s) return undefined;
  return release.kubernetes.includes(k8s);
}

/** The Istio releases (oldest first) that support a Kubernetes minor. */
export function istioReleasesSupporting(kubernetesVersion: string): IstioRelease[] {
  const k8s = minorOf(kubernetesVersion);
  return ISTIO_RELEASES.filter((r) => k8s !== undefined && r.kubernetes.includes(k8s)).sort((a, b) =>
    compareMinors(a.minor, b.minor),
  );
}

/**
 * How AKS offers a Kubernetes minor on `date`: under community support (any tier) until its end, then only under
 * long-term support (Premium tier) until that ends. Dates are inclusive.
 */
export function aksOffer(kubernetesVersion: string, date: IsoDate): AksOffer {
  const k8s = minorOf(kubernetesVersion);
  const row = AKS_KUBERNETES_VERSIONS.find((v) => v.minor === k8s);
  if (!row) {
    const oldest = AKS_KUBERNETES_VERSIONS[0];
    const older = k8s !== undefined && oldest !== undefined && compareMinors(k8s, oldest.minor) < 0;
    return { offered: false, reason: older ? "retired" : "unknown" };
  }
  if (date < row.generallyAvailable) return { offered: false, reason: "not-yet", since: row.generallyAvailable };
  if (date <= row.communitySupportEnds) {
    return { offered: true, plan: "KubernetesOfficial", until: row.communitySupportEnds, lts: row };
  }
  if (date <= row.longTermSupportEnds) {
    return { offered: true, plan: "AKSLongTermSupport", until: row.longTermSupportEnds, lts: row };
  }
  return { offered: false, reason: "retired", since: row.longTermSupportEnds };
}

/** Every Kubernetes minor AKS offers on `date`, oldest first, with its plan. */
export function aksOffers(date: IsoDate): { minor: string; plan: AksSupportPlan; until: IsoDate }[] {
  const out: { minor: string; plan: AksSupportPlan; until: IsoDate }[] = [];
  for (const v of AKS_KUBERNETES_VERSIONS) {
    const offer = aksOffer(v.minor, date);
    if (offer.offered) out.push({ minor: v.minor, plan: offer.plan, until: offer.until });
  }
  return out;
}

/** The Kubernetes minors that Istio `istioVersion` supports and AKS offers on `date`, oldest first. */
export function kubernetesChoices(
  istioVersion: string,
  date: IsoDate,
): { minor: string; plan: AksSupportPlan; until: IsoDate }[] {
  const release = istioRelease(istioVersion);
  if (!release) return [];
  return aksOffers(date).filter((o) => release.kubernetes.includes(o.minor));
}

/** The lowest Istio release that supports some Kubernetes minor AKS offers on `date`, with those minors. */
export function lowestIstioOnAks(
  date: IsoDate,
): { release: IstioRelease; kubernetes: { minor: string; plan: AksSupportPlan; until: IsoDate }[] } | undefined {
  const oldestFirst = [...ISTIO_RELEASES].sort((a, b) => compareMinors(a.minor, b.minor));
  for (const release of oldestFirst) {
    const kubernetes = kubernetesChoices(release.minor, date);
    if (kubernetes.length > 0) return { release, kubernetes };
  }
  return undefined;
}

/** "1.32 (standard support until 2026-03-31)" / "1.32 (LTS, Premium tier, until 2027-03-31)". */
export function describeOffer(o: { minor: string; plan: AksSupportPlan; until: IsoDate }): string {
  return o.plan === "KubernetesOfficial"
    ? `${o.minor} (standard support until ${o.until})`
    : `${o.minor} (LTS only: Premium tier, supportPlan AKSLongTermSupport, until ${o.until})`;
}

/** "1.27–1.30" for a release's Kubernetes list. */
export function kubernetesRange(release: IstioRelease): string {
  const list = release.kubernetes;
  return list.length > 1 ? `${list[0]}–${list[list.length - 1]}` : (list[0] ?? "none");
}
