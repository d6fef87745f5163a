// Release notes as checks: the upgrade notes of the Istio minors a canary hop crosses, applied to what the stack
// declares. A hop is visible to the pack while it runs: an istiod of minor M or later installed beside one older than
// M. Each note names its source (istio/istio releasenotes/notes/<file> at the release tag, as istio.io's "Upgrade
// notes" page of that minor renders it) and says whether the new revision keeps the old default through its
// compatibilityVersion profile (files/profile-compatibility-version-<minor>.yaml of the chart).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { compareMinors, minorOf } from "../compatibility";
import { REVISION_LABEL } from "../contract";
import { at, helmReleases, isIstioRelease, kubeObjects, list, str, UNKNOWN } from "../lib";

/** What the notes read of the stack. */
interface Declared {
  /** Namespaces labelled for injection (istio.io/rev), where every sidecar runs. */
  injectedNamespaces: string[];
  /** Sidecar objects (namespace/name). */
  sidecars: string[];
  /** Telemetry objects whose CEL expressions read Wasm-era attributes. */
  wasmCelTelemetry: string[];
  /** meshConfig.extensionProviders kinds of the istiod releases. */
  providerKinds: string[];
}

interface UpgradeNote {
  /** The minor that brings the change. */
  minor: string;
  title: string;
  /** istio/istio releasenotes/notes file at the `minor`.0 tag. */
  source: string;
  /** The pilot env var the minor's compatibility profile sets back to the old default, when it does. */
  keptBy?: string;
  /** What in the stack the note applies to, or undefined when nothing does. */
  applies: (d: Declared) => string | undefined;
}

const some = (what: string, items: string[]) => (items.length > 0 ? `${what}: ${items.join(", ")}` : undefined);

/** Verified against istio/istio at 1.24.0, 1.25.0 and 1.27.0 (each note's upgradeNotes entry). */
export const UPGRADE_NOTES: readonly UpgradeNote[] = [
  {
    minor: "1.24",
    title:
      "sidecars retry inbound requests the application never received (ENABLE_INBOUND_RETRY_POLICY defaults to true)",
    source: "releasenotes/notes/52055.yaml",
    keptBy: "ENABLE_INBOUND_RETRY_POLICY",
    applies: (d) => some("every sidecar of the namespaces", d.injectedNamespaces),
  },
  {
    minor: "1.24",
    title:
      "Sidecar scoping unified: a proxy prefers a Service in its own namespace, then a Kubernetes Service over a ServiceEntry",
    source: "releasenotes/notes/sidecar-scope-unit.yaml",
    keptBy: "PILOT_UNIFIED_SIDECAR_SCOPE",
    applies: (d) => some("the Sidecars", d.sidecars),
  },
  {
    minor: "1.24",
    title:
      'Telemetry CEL expressions must use standard Envoy attributes (filter_state.upstream_peer, not filter_state["wasm.upstream_peer"])',
    source: "releasenotes/notes/telemetry-cel.yaml",
    applies: (d) => some("the Telemetry objects", d.wasmCelTelemetry),
  },
  {
    minor: "1.25",
    title: "OpenCensus support has been removed: migrate the provider to opentelemetry",
    source: "releasenotes/notes/opencensus-removal.yaml",
    applies: (d) =>
      d.providerKinds.includes("opencensus") ? "meshConfig.extensionProviders has an opencensus provider" : undefined,
  },
  {
    minor: "1.27",
    title: "the Lightstep tracing provider is removed: use opentelemetry",
    source: "releasenotes/notes/54002.yaml",
    applies: (d) =>
      d.providerKinds.includes("lightstep") ? "meshConfig.extensionProviders has a lightstep provider" : undefined,
  },
  {
    minor: "1.27",
    title:
      "native sidecars by default: istio-proxy becomes an init container, which other mutating webhooks may not expect",
    source: "releasenotes/notes/native-sidecar-default.yaml",
    keptBy: "ENABLE_NATIVE_SIDECARS",
    applies: (d) => some("every injected pod of the namespaces", d.injectedNamespaces),
  },
];

/** What the stack declares that the notes read; undefined while a value it needs is unknown. */
function declared(resources: Parameters<typeof helmReleases>[0]): Declared | undefined {
  const d: Declared = { injectedNamespaces: [], sidecars: [], wasmCelTelemetry: [], providerKinds: [] };
  for (const o of kubeObjects(resources)) {
    if (o.name === UNKNOWN || o.labels === UNKNOWN) return undefined;
    if (o.kind === "Namespace" && o.labels[REVISION_LABEL] !== undefined) d.injectedNamespaces.push(o.name);
    if (o.group === "networking.istio.io" && o.kind === "Sidecar") d.sidecars.push(`${String(o.namespace)}/${o.name}`);
    if (
      o.group === "telemetry.istio.io" &&
      o.kind === "Telemetry" &&
      /wasm\.|filter_state\[/.test(JSON.stringify(o.spec ?? {}))
    ) {
      d.wasmCelTelemetry.push(`${String(o.namespace)}/${o.name}`);
    }
  }
  for (const r of helmReleases(resources)) {
    if (r.chart !== "istiod") continue;
    const providers = list(at(r.values, "meshConfig", "extensionProviders"));
    if (providers === UNKNOWN) return undefined;
    for (const p of providers) {
      if (p && typeof p === "object") d.providerKinds.push(...Object.keys(p).filter((k) => k !== "name"));
    }
  }
  return d;
}

export const istioUpgradeNotes: StackValidationPolicy & Why = {
  name: "istio-upgrade-notes",
  description:
    "During a canary hop (an istiod beside an older one), the upgrade notes of every minor the hop crosses that apply " +
    "to what the stack declares, each citing its release note (istio/istio releasenotes/notes at the tag; istio.io " +
    "upgrade notes), and whether the new revision's compatibilityVersion keeps the old default.",
  enforcementLevel: "advisory",
  why: "a hop changes defaults and removes fields the stack may rely on; read each note before moving namespaces",
  validateStack: (args, report) => {
    const istiods: { urn: string; minor: string; compatibility?: string }[] = [];
    for (const r of helmReleases(args.resources)) {
      if (r.chart !== "istiod" || isIstioRelease(r) !== true || typeof r.version !== "string") continue;
      const minor = minorOf(r.version);
      const compat = str(at(r.values, "compatibilityVersion"));
      if (!minor || compat === UNKNOWN) return;
      istiods.push({ urn: r.urn, minor, ...(typeof compat === "string" ? { compatibility: compat } : {}) });
    }
    if (istiods.length < 2) return;
    const sorted = [...istiods].sort((a, b) => compareMinors(a.minor, b.minor));
    const oldest = (sorted[0] as { minor: string }).minor;
    const d = declared(args.resources);
    if (!d) return;
    for (const next of sorted.filter((i) => compareMinors(i.minor, oldest) > 0)) {
      for (const note of UPGRADE_NOTES) {
        if (compareMinors(note.minor, oldest) <= 0 || compareMinors(note.minor, next.minor) > 0) continue;
        const what = note.applies(d);
        if (!what) continue;
        const kept =
          note.keptBy && next.compatibility !== undefined && compareMinors(next.compatibility, note.minor) < 0
            ? ` Kept off for now: compatibilityVersion ${next.compatibility} sets ${note.keptBy} to the old default; it changes when you drop it (docs/upgrades.md step 6).`
            : "";
        report(
          `Istio ${note.minor} upgrade note (istio/istio ${note.source} at ${note.minor}.0): ${note.title}. Applies to ${what}.${kept}`,
          next.urn,
        );
      }
    }
  },
};
