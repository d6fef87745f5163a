// Release notes as checks: the notes of the minors a running hop crosses, applied to what the stack declares.
import { istioUpgradeNotes } from "../../../policy/install/upgrade-notes";
import { type Case, type Fixture, helmRelease, istio, namespace, runCases, runPreviewSafety } from "../fixtures";

const rev = (version: string) => version.replace(/\./g, "-");
const istiod = (version: string, values: Record<string, unknown> = {}): Fixture => ({
  ...helmRelease("istiod", { version, name: `istiod-${rev(version)}`, values: { revision: rev(version), ...values } }),
  name: `istio-istiod-${rev(version)}`,
});
const injected = namespace("api", { "istio.io/rev": "prod-stable" });

const cases: Case[] = [
  {
    title: "names 1.24's inbound retry default for the injected namespaces when a hop crosses 1.24, citing its note",
    policy: istioUpgradeNotes,
    fixtures: [istiod("1.23.4"), istiod("1.25.5"), injected],
    rejects:
      /Istio 1\.24 upgrade note \(istio\/istio releasenotes\/notes\/52055\.yaml at 1\.24\.0\).*ENABLE_INBOUND_RETRY_POLICY.*Applies to every sidecar of the namespaces: api\.$/,
    count: 1,
  },
  {
    title: "says the canary keeps the old default while its compatibilityVersion is 1.23",
    policy: istioUpgradeNotes,
    fixtures: [istiod("1.23.4"), istiod("1.25.5", { compatibilityVersion: "1.23" }), injected],
    rejects: /52055\.yaml.*Kept off for now: compatibilityVersion 1\.23 sets ENABLE_INBOUND_RETRY_POLICY/,
    count: 1,
  },
  {
    title: "applies the Sidecar scoping note to the Sidecars the stack declares",
    policy: istioUpgradeNotes,
    fixtures: [
      istiod("1.23.4"),
      istiod("1.24.6"),
      istio("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, { namespace: "web" }),
    ],
    rejects: /sidecar-scope-unit\.yaml.*Applies to the Sidecars: web\/default/,
    count: 1,
  },
  {
    title: "applies the 1.25 OpenCensus removal to an opencensus extension provider",
    policy: istioUpgradeNotes,
    fixtures: [
      istiod("1.24.6"),
      istiod("1.25.5", { meshConfig: { extensionProviders: [{ name: "oc", opencensus: { service: "x", port: 1 } }] } }),
    ],
    rejects: /opencensus-removal\.yaml.*opencensus provider/,
    count: 1,
  },
  {
    title: "leaves a stack with one revision alone: no hop is running",
    policy: istioUpgradeNotes,
    fixtures: [istiod("1.25.5"), injected],
  },
  {
    title: "leaves notes of minors the hop does not cross alone (1.25 to 1.26: no 1.24 or 1.27 note)",
    policy: istioUpgradeNotes,
    fixtures: [istiod("1.25.5"), istiod("1.26.8"), injected],
  },
];

describe("istio-upgrade-notes", () => {
  runCases(cases);
  runPreviewSafety(cases);
});
