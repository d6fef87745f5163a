// Section `aks-mesh:security.mtls`: which PeerAuthentication mode applies where, and the compatibility check that must
// pass before any of it turns STRICT. Istio composes the mode of a workload's port from the most specific policy that
// sets it: port level, then workload (selector), then namespace, then mesh (the control-plane namespace, no selector);
// UNSET inherits (istio/istio 1.23 pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication).
import { z } from "zod";
import { internalUrl } from "../../components/observability/paths";
import type { CheckContext, Parsed } from "../area";
import type { istioKeys } from "../istio";
import type { meshKeys } from "../mesh";
import type { observabilityKeys } from "../observability";
import { dnsLabel, whenFieldsValid } from "../primitives";

export const MTLS_MODES = ["DISABLE", "PERMISSIVE", "STRICT"] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];
/** The modes that let plaintext in: every override or port set to one of them is an exception with a reason. */
export const WEAKER_MODES: readonly MtlsMode[] = ["PERMISSIVE", "DISABLE"];

/**
 * The image that runs the check script (components/security/mtls-check/check.mjs): Node 22 on Alpine, pinned by
 * digest. This digest of node:22.17.0-alpine is the one the reMarkable/githubUserManager repository pins in its
 * Dockerfile; confirm or refresh it with `docker buildx imagetools inspect node:22.17.0-alpine`.
 */
export const CHECK_IMAGE =
  "node:22.17.0-alpine@sha256:5340cbfc2df14331ab021555fdd9f83f072ce811488e705b0e736b11adeec4bb";

const reason = z
  .string()
  .trim()
  .min(1, "must say why plaintext is still accepted here")
  .describe("Why this exception exists (shown to reviewers; written on the PeerAuthentication as an annotation).");

const mode = z.enum(MTLS_MODES);

/** A Kubernetes label key (optional DNS prefix, then a name of at most 63 characters). */
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    "must be a label key such as app or app.kubernetes.io/name",
  );
const labelValue = z
  .string()
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "must be a label value (no wildcard)");

/** A container port as a map key: PeerAuthentication portLevelMtls keys are the workload's port, not the Service's. */
const containerPort = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, "must be a port number")
  .refine((p) => Number(p) <= 65535, "must be at most 65535");

const namespaceOverride = z
  .strictObject({
    mode: mode.describe("The namespace's mode (a PeerAuthentication named default in it, without selector)."),
    reason: reason.optional(),
  })
  .superRefine((o, ctx) => {
    if (WEAKER_MODES.includes(o.mode) && o.reason === undefined) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: `is required: mode ${o.mode} accepts plaintext` });
    }
  }, whenFieldsValid);

const portException = z
  .strictObject({
    mode: z
      .enum(["PERMISSIVE", "DISABLE"])
      .describe("What this port accepts: PERMISSIVE (both) or DISABLE (plaintext)."),
    reason,
  })
  .describe("One port that must accept plaintext, e.g. Keycloak's port reached by clients outside the mesh.");

const workloadOverride = z
  .strictObject({
    namespace: dnsLabel.describe(
      "Namespace of the workload (never the control-plane namespace: Istio ignores it there).",
    ),
    selector: z
      .record(labelKey, labelValue)
      .refine((s) => Object.keys(s).length > 0, "must name at least one label")
      .describe("Pod labels of the workload (PeerAuthentication selector.matchLabels)."),
    mode: mode
      .optional()
      .describe("The workload's mode; unset inherits the namespace's or the mesh's (Istio's UNSET)."),
    reason: reason.optional(),
    ports: z
      .record(containerPort, portException)
      .default({})
      .describe(
        "Port-level exceptions (portLevelMtls), keyed by the CONTAINER port (targetPort), not the Service port " +
          "(istio.io/v1.23 PeerAuthentication reference). Istio's CRD accepts them only with a selector.",
      ),
  })
  .superRefine((o, ctx) => {
    if (o.mode !== undefined && WEAKER_MODES.includes(o.mode) && o.reason === undefined) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: `is required: mode ${o.mode} accepts plaintext` });
    }
    if (o.mode === undefined && Object.keys(o.ports).length === 0) {
      ctx.addIssue({ code: "custom", path: ["mode"], message: "set a mode or at least one port exception" });
    }
  }, whenFieldsValid);

const workloadRef = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?|\*|unknown)$/,
    'must be "<namespace>/<workload>" or "<namespace>/*" (workload: Istio\'s workload name, the Deployment\'s)',
  );

const allowEntry = z.strictObject({
  workload: workloadRef.describe(
    'A workload as Istio names it in its metrics ("<namespace>/<workload>", "<namespace>/*" for a whole namespace, ' +
      '"unknown/unknown" for plaintext clients Istio could not identify): its plaintext traffic (as client or server), ' +
      "its pods without a sidecar and its lack of traffic are not held against the check.",
  ),
  reason: z.string().trim().min(1).describe("Why it is accepted (shown in the Job's output and the record)."),
});

/** A Prometheus range: Prometheus's own duration syntax, restricted to the units a window needs. */
const promWindow = z
  .string()
  .regex(/^[1-9][0-9]*(m|h|d)$/, 'must be a Prometheus duration such as "30m", "24h" or "7d"');

const automatedCheck = z.strictObject({
  mode: z.literal("automated").describe("A Kubernetes Job asks Prometheus and the API server; `pulumi up` awaits it."),
  window: promWindow
    .default("24h")
    .describe("How far back the Job looks for plaintext traffic (it runs while the scope is still PERMISSIVE)."),
  minRequests: z
    .int()
    .min(1)
    .default(100)
    .describe(
      "Fewest inbound requests plus TCP connections a workload must have received in the window: silence is not " +
        "evidence, so a quieter workload fails the check unless allowlisted.",
    ),
  allowlist: z.array(allowEntry).default([]).describe("Workloads whose findings are accepted, each with a reason."),
  rerun: z
    .string()
    .default("")
    .describe("Any new value re-runs the Job (e.g. a date); a failed Job is also replaced on the next `pulumi up`."),
  prometheusUrl: z
    .url()
    .optional()
    .describe(
      "Prometheus base URL (the one under which /api/v1/query answers). Default: the observability area's Prometheus; " +
        "required when observability is off.",
    ),
  image: z
    .string()
    .regex(/@sha256:[0-9a-f]{64}$/, "must be pinned by digest (<image>@sha256:<64 hex>)")
    .default(CHECK_IMAGE)
    .describe("Image running the check script (Node 22), pinned by digest."),
  timeoutSeconds: z
    .int()
    .min(30)
    .max(3600)
    .default(300)
    .describe("The Job's activeDeadlineSeconds (waiting for Prometheus included); `pulumi up` waits as long."),
});

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date "YYYY-MM-DD"')
  .refine((d) => !Number.isNaN(Date.parse(d)), "must be a real date");

const manualCheck = z.strictObject({
  mode: z
    .literal("manual")
    .describe("For clusters without metrics: someone checked by hand and says so; valid for validDays."),
  attestation: z
    .strictObject({
      what: z.string().trim().min(1).describe("What was checked and how (e.g. Kiali's security badges, 7 days)."),
      by: z.string().trim().min(1).describe("Who checked."),
      date: isoDate.describe("When (YYYY-MM-DD)."),
    })
    .describe("The attestation written on the check's record."),
  validDays: z
    .int()
    .min(1)
    .max(90)
    .default(14)
    .describe("Days the attestation counts; afterwards the policy pack refuses the STRICT it covers."),
});

export const mtlsSection = z
  .strictObject({
    mode: mode
      .optional()
      .describe(
        "Mesh-wide mode: a PeerAuthentication named default in the control-plane namespace. Unset: none (Istio " +
          "then behaves as PERMISSIVE). STRICT needs `check` (README: Security rollout).",
      ),
    namespaces: z
      .record(dnsLabel, namespaceOverride)
      .default({})
      .describe("Per-namespace mode, overriding the mesh's; PERMISSIVE or DISABLE need a reason."),
    workloads: z
      .record(dnsLabel, workloadOverride)
      .default({})
      .describe(
        "Per-workload PeerAuthentications, by name: a selector, a mode and/or port exceptions. PERMISSIVE or DISABLE need a reason.",
      ),
    check: z
      .discriminatedUnion("mode", [automatedCheck, manualCheck])
      .optional()
      .describe(
        "The mTLS compatibility check (aks-mesh:security:MtlsCompatibilityCheck) every STRICT policy waits for; it " +
          "exists only while something is STRICT, covering exactly what is.",
      ),
  })
  .describe("Mutual TLS: the PeerAuthentication modes and the compatibility check in front of STRICT.");

export type MtlsSection = z.infer<typeof mtlsSection>;

/** What this section reads beside itself. */
export type MtlsInput = Pick<Parsed<typeof meshKeys>, "meshNamespaces"> &
  Pick<Parsed<typeof istioKeys>, "istio"> &
  Parsed<typeof observabilityKeys>;

export type ResolvedCheck =
  | (Omit<z.infer<typeof automatedCheck>, "prometheusUrl"> & { readonly prometheusUrl: string })
  | z.infer<typeof manualCheck>;

/** The section, resolved. */
export interface MtlsConfig {
  readonly mode?: MtlsMode;
  readonly namespaces: MtlsSection["namespaces"];
  readonly workloads: MtlsSection["workloads"];
  /**
   * What STRICT covers, as the check's record declares it: ["*"] when the mesh-wide mode is STRICT, else the
   * namespaces where a namespace or workload policy is STRICT (sorted); empty when nothing is STRICT.
   */
  readonly strictScope: readonly string[];
  /** The check, with its Prometheus URL filled in; undefined when not configured or nothing is STRICT. */
  readonly check?: ResolvedCheck;
}

/** The check's scope for a config: see MtlsConfig.strictScope. */
export function strictScope(m: MtlsSection): string[] {
  if (m.mode === "STRICT") return ["*"];
  const namespaces = new Set<string>();
  for (const [ns, o] of Object.entries(m.namespaces)) if (o.mode === "STRICT") namespaces.add(ns);
  for (const w of Object.values(m.workloads)) if (w.mode === "STRICT") namespaces.add(w.namespace);
  return [...namespaces].sort();
}

export function mtlsChecks(m: MtlsSection | undefined, root: MtlsInput, { key }: CheckContext): string[] {
  if (!m) return [];
  const problems: string[] = [];
  const k = (p: string) => key(`security.mtls.${p}`);
  const rootNamespace = root.istio.namespace;
  for (const [name, w] of Object.entries(m.workloads)) {
    if (w.namespace === rootNamespace) {
      problems.push(
        `${k(`workloads.${name}.namespace`)}: "${rootNamespace}" is the control-plane (mesh root) namespace, where ` +
          "Istio ignores PeerAuthentications with a selector; use the workload's own namespace",
      );
    }
  }
  if (m.namespaces[rootNamespace]) {
    problems.push(
      `${k(`namespaces.${rootNamespace}`)}: a namespace policy in the control-plane namespace is the mesh-wide one; ` +
        `set ${k("mode")} instead`,
    );
  }
  const c = m.check;
  if (c?.mode === "automated" && !c.prometheusUrl && !root.observability?.enabled) {
    problems.push(
      `${k("check.prometheusUrl")}: is required for the automated check when ${key("observability")} is off ` +
        "(or use mode: manual with an attestation)",
    );
  }
  const retention = root.observability?.enabled ? root.observability.prometheus.retention : undefined;
  if (c?.mode === "automated" && !c.prometheusUrl && retention && promMs(c.window) > promMs(retention)) {
    problems.push(
      `${k("check.window")}: ${c.window} is longer than Prometheus keeps samples (${key("observability.prometheus.retention")}: ` +
        `${retention}); the check would judge on less than its window`,
    );
  }
  if (c?.mode === "manual" && Date.parse(c.attestation.date) > Date.now()) {
    problems.push(`${k("check.attestation.date")}: ${c.attestation.date} is in the future`);
  }
  const keys = Object.keys(m.workloads);
  for (const [name, w] of Object.entries(m.workloads)) {
    const twin = keys.find((other) => other < name && m.workloads[other]?.namespace === w.namespace);
    if (twin && JSON.stringify(m.workloads[twin]?.selector) === JSON.stringify(w.selector)) {
      problems.push(
        `${k(`workloads.${name}.selector`)}: selects the same pods as ${k(`workloads.${twin}`)}; Istio applies ` +
          "only the older of two workload policies, so merge them",
      );
    }
  }
  return problems;
}

/** A Prometheus duration ("30m", "24h", "15d", "2w", "1y") in milliseconds. */
function promMs(d: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d|w|y)$/.exec(d);
  if (!m) return Number.NaN;
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 }[m[2] as "ms"];
  return Number(m[1]) * unit;
}

export function resolveMtls(m: MtlsSection | undefined, root: MtlsInput): MtlsConfig | undefined {
  if (!m) return undefined;
  const scope = strictScope(m);
  const base = { mode: m.mode, namespaces: m.namespaces, workloads: m.workloads, strictScope: scope };
  if (!m.check || scope.length === 0) return base;
  if (m.check.mode === "manual") return { ...base, check: m.check };
  const o = root.observability;
  const prometheusUrl = m.check.prometheusUrl ?? (o?.enabled ? internalUrl("prometheus", o.namespace) : undefined);
  if (!prometheusUrl) throw new Error("security.mtls.check.prometheusUrl was not checked"); // mtlsChecks refused it
  return { ...base, check: { ...m.check, prometheusUrl } };
}
