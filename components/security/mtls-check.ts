// The mTLS compatibility check (aks-mesh:security:MtlsCompatibilityCheck): the gate every STRICT PeerAuthentication
// depends on. Its record, a ConfigMap child labelled and annotated as policy/contract.ts says, is what the policy pack
// accepts as proof (policy/security/peer-authentication.ts); in automated mode the record depends on a Job that must
// succeed first.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedCheck } from "../../config/security/mtls";
import {
  MTLS_ATTESTATION_VALID_DAYS_ANNOTATION,
  MTLS_ATTESTED_AT_ANNOTATION,
  MTLS_CHECK_COMPONENT_TYPE,
  MTLS_CHECK_LABEL,
  MTLS_CHECK_MODE_ANNOTATION,
  MTLS_CHECK_MODES,
  MTLS_CHECK_SCOPE_ANNOTATION,
  MESH_WIDE_SCOPE,
  SIDECAR_INJECT,
} from "../../policy/contract";
import { meshLabels } from "../shared";

/** The script the Job runs, shipped in a ConfigMap: plain Node, no dependencies (its header says what it checks). */
export const CHECK_SCRIPT_PATH = path.join(__dirname, "mtls-check", "check.mjs");
const SCRIPT_KEY = "check.mjs";
const MOUNT = "/check";
/** Name of the record ConfigMap in the control-plane namespace (`kubectl -n istio-system get cm mtls-compatibility-check`). */
export const RECORD_NAME = "mtls-compatibility-check";
/** Extra time `pulumi up` gives the Job beyond its own deadline (scheduling, image pull). */
const AWAIT_MARGIN_SECONDS = 120;

export interface MtlsCompatibilityCheckArgs {
  /** What STRICT will cover (config security.mtls, derived): ["*"] for the whole mesh, else namespaces. */
  scope: readonly string[];
  /** How it is checked (config security.mtls.check). */
  check: ResolvedCheck;
  /** The control-plane namespace: where the Job, its ServiceAccount and the record live. */
  namespace: string;
  /** What a namespaced Role in an application namespace waits for (the namespace, when this stack makes or labels it). */
  namespaceReady: (ns: string) => pulumi.Resource[];
  /** What the objects in the control-plane namespace wait for (istiod ready: the namespace exists). */
  dependsOn: pulumi.Resource[];
  /** The Prometheus the Job queries, when this stack runs it (the Job starts after it). */
  prometheusReady: pulumi.Resource[];
  /**
   * When the stack's NetworkPolicies deny ingress in Prometheus's namespace (config security.networkPolicies): admit
   * the Job's pods there on Prometheus's container port.
   */
  admitToPrometheus?: { namespace: string; port: number; dependsOn: pulumi.Resource[] };
}

/**
 * The gate in front of STRICT mTLS. Automated: a Job (no sidecar) runs the check script against Prometheus and the API
 * server, and @pulumi/kubernetes awaits its Complete condition, failing `pulumi up` on its Failed condition
 * (@pulumi/kubernetes 4.34 batch/v1/Job await logic); the record depends on the Job, the STRICT policies on this
 * component. Manual: the record carries the attestation, which the pack refuses once expired.
 */
export class MtlsCompatibilityCheck extends pulumi.ComponentResource {
  /** The record the pack reads. */
  readonly record: k8s.core.v1.ConfigMap;
  /** The Job, in automated mode. */
  readonly job?: k8s.batch.v1.Job;
  /** The Job's name: mtls-check-<hash of what it checks>, so any change re-runs it. */
  readonly jobName?: string;

  constructor(name: string, args: MtlsCompatibilityCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MTLS_CHECK_COMPONENT_TYPE, name, {}, opts);
    if (args.scope.length === 0) throw new Error(`${name}: an mTLS compatibility check needs a scope`);
    const { check, namespace } = args;
    const scope = args.scope.join(",");
    const labels = meshLabels("mtls-check");
    const inNamespace = { parent: this, dependsOn: args.dependsOn };
    const recordAnnotations: Record<string, string> = {
      [MTLS_CHECK_SCOPE_ANNOTATION]: scope,
      [MTLS_CHECK_MODE_ANNOTATION]: MTLS_CHECK_MODES[check.mode],
    };
    let recordData: Record<string, string>;

    if (check.mode === "automated") {
      const script = fs.readFileSync(CHECK_SCRIPT_PATH, "utf8");
      const env = checkEnvironment(args.scope, check);
      this.jobName = `mtls-check-${runKey(script, env, check.image, check.rerun)}`;
      const scriptMap = new k8s.core.v1.ConfigMap(
        `${name}-script`,
        { metadata: { name: "mtls-check-script", namespace, labels }, data: { [SCRIPT_KEY]: script } },
        inNamespace,
      );
      const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-sa`,
        { metadata: { name: "mtls-check", namespace, labels }, automountServiceAccountToken: false },
        inNamespace,
      );
      const rbac = this.rbac(name, args, labels);
      const admit = args.admitToPrometheus;
      const netpol = admit
        ? [
            new k8s.networking.v1.NetworkPolicy(
              `${name}-netpol`,
              {
                metadata: { name: "allow-mtls-check", namespace: admit.namespace, labels },
                spec: {
                  podSelector: {},
                  policyTypes: ["Ingress"],
                  ingress: [
                    {
                      from: [
                        {
                          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
                          podSelector: {
                            matchLabels: { "app.kubernetes.io/component": labels["app.kubernetes.io/component"] ?? "" },
                          },
                        },
                      ],
                      ports: [{ protocol: "TCP", port: admit.port }],
                    },
                  ],
                },
              },
              { parent: this, dependsOn: admit.dependsOn },
            ),
          ]
        : [];
      this.job = new k8s.batch.v1.Job(
        `${name}-job`,
        {
          metadata: {
            name: this.jobName,
            namespace,
            labels,
            // A Job that failed is replaced on the next `pulumi up` instead of awaited again (the provider's documented
            // annotation); a new run key (config rerun) replaces it too.
            annotations: { "pulumi.com/replaceUnready": "true" },
          },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: check.timeoutSeconds,
            template: {
              metadata: {
                // No sidecar: in 1.23 native sidecars are off by default, and a Job whose pod keeps istio-proxy
                // running never completes (istio/istio#11045, #11659).
                labels: { ...labels, [SIDECAR_INJECT]: "false" },
              },
              spec: {
                serviceAccountName: serviceAccount.metadata.name,
                automountServiceAccountToken: true,
                restartPolicy: "Never",
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 1000, // the node user of the official Node images
                  runAsGroup: 1000,
                  seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                  {
                    name: "check",
                    image: check.image,
                    command: ["node", `${MOUNT}/${SCRIPT_KEY}`],
                    env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
                    volumeMounts: [{ name: "script", mountPath: MOUNT, readOnly: true }],
                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      readOnlyRootFilesystem: true,
                      capabilities: { drop: ["ALL"] },
                    },
                  },
                ],
                volumes: [{ name: "script", configMap: { name: scriptMap.metadata.name } }],
              },
            },
          },
        },
        {
          parent: this,
          dependsOn: [...args.dependsOn, scriptMap, ...rbac, ...netpol, ...args.prometheusReady],
          // The name is fixed (it carries the run key), so a replacement must delete the old Job first.
          deleteBeforeReplace: true,
          customTimeouts: { create: `${check.timeoutSeconds + AWAIT_MARGIN_SECONDS}s` },
        },
      );
      recordData = { mode: check.mode, job: this.jobName, ...env };
    } else {
      recordAnnotations[MTLS_ATTESTED_AT_ANNOTATION] = check.attestation.date;
      recordAnnotations[MTLS_ATTESTATION_VALID_DAYS_ANNOTATION] = String(check.validDays);
      recordData = { mode: check.mode, what: check.attestation.what, by: check.attestation.by };
    }

    this.record = new k8s.core.v1.ConfigMap(
      `${name}-record`,
      {
        metadata: {
          name: RECORD_NAME,
          namespace,
          labels: { ...labels, [MTLS_CHECK_LABEL]: "true" },
          annotations: recordAnnotations,
        },
        data: recordData,
      },
      { parent: this, dependsOn: [...args.dependsOn, ...(this.job ? [this.job] : [])] },
    );
    this.registerOutputs({ scope, mode: check.mode, jobName: this.jobName });
  }

  /**
   * Least privilege for the Job's ServiceAccount: list pods in the scope's namespaces (a Role each), and for the whole
   * mesh list namespaces too, to find the enrolled ones (a ClusterRole: pods of every namespace). Nothing else.
   */
  private rbac(name: string, args: MtlsCompatibilityCheckArgs, labels: Record<string, string>): pulumi.Resource[] {
    const subjects = [{ kind: "ServiceAccount", name: "mtls-check", namespace: args.namespace }];
    if (args.scope.includes(MESH_WIDE_SCOPE)) {
      const role = new k8s.rbac.v1.ClusterRole(
        `${name}-clusterrole`,
        {
          metadata: { name: "aks-mesh-mtls-check", labels },
          rules: [{ apiGroups: [""], resources: ["namespaces", "pods"], verbs: ["list"] }],
        },
        { parent: this },
      );
      const binding = new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-clusterrolebinding`,
        {
          metadata: { name: "aks-mesh-mtls-check", labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
          subjects,
        },
        { parent: this },
      );
      return [role, binding];
    }
    return args.scope.flatMap((ns) => {
      const opts = { parent: this, dependsOn: args.namespaceReady(ns) };
      const metadata = { name: "aks-mesh-mtls-check", namespace: ns, labels };
      const role = new k8s.rbac.v1.Role(
        `${name}-role-${ns}`,
        { metadata, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }] },
        opts,
      );
      const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-rolebinding-${ns}`,
        {
          metadata,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects,
        },
        opts,
      );
      return [role, binding];
    });
  }
}

/** The Job's environment (the script's input, check.mjs header): also written on the record. */
export function checkEnvironment(
  scope: readonly string[],
  check: Extract<ResolvedCheck, { mode: "automated" }>,
): Record<string, string> {
  return {
    PROMETHEUS_URL: check.prometheusUrl,
    MTLS_SCOPE: scope.join(","),
    MTLS_WINDOW: check.window,
    MTLS_MIN_REQUESTS: String(check.minRequests),
    MTLS_ALLOWLIST: JSON.stringify(check.allowlist),
    PROMETHEUS_WAIT_SECONDS: String(Math.floor(check.timeoutSeconds / 2)),
  };
}

/** 10 hex characters of a hash of everything a run depends on: a new value is a new Job. */
export function runKey(script: string, env: Record<string, string>, image: string, rerun: string): string {
  return createHash("sha256").update(JSON.stringify({ script, env, image, rerun })).digest("hex").slice(0, 10);
}
