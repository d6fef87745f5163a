// Changes a careful engineer must be stopped from, refused before any resource exists. Each message names the key and
// says what to do instead. Some apply to every stack; the rest to production stacks (config aks-mesh:environment).
import type { Environment } from "../policy/contract";

/** What the rules read: the parsed sections, with the defaults filled in. */
export interface GuardedConfig {
  environment: Environment;
  staticIp: { adoptResourceId?: string | undefined; expectedAddress?: string | undefined };
  /** The single form (version, revision) or the list form (revisions, each with its revision pinned by the schema). */
  istio: { version?: string | undefined; revision?: string | undefined; revisions?: readonly unknown[] | undefined };
  ingressGateway: {
    namespace: string;
    autoscaling: { minReplicas: number };
    podDisruptionBudget?: { minAvailable: number } | undefined;
  };
  ingress: { hosts: { host: string; tls?: unknown }[] };
  meshNamespaces: { name: string }[];
  outsideMeshNamespaces: { name: string }[];
  observability?: { enabled: boolean; tls?: unknown; grafana: { anonymousViewer: boolean } } | undefined;
}

/** istio.version when unset (config/istio.ts DEFAULT_ISTIO_VERSION; repeated here, which istio.ts imports). */
const DEFAULT_VERSION = "1.23.4";

/** The revision a version runs under by default: the version with dashes ("1.23.4" -> "1-23-4"). */
export function revisionOf(version: string): string {
  return version.replace(/\./g, "-");
}

/** Every rule below, for any stack. `k` turns a key path into its full name ("istio.version" -> "aks-mesh:istio.version"). */
export function guardrailChecks(c: GuardedConfig, k: (path: string) => string): string[] {
  return [...everyStack(c, k), ...(c.environment === "production" ? productionOnly(c, k) : [])];
}

function everyStack(c: GuardedConfig, k: (path: string) => string): string[] {
  const problems: string[] = [];

  // A pinned revision runs exactly one version. Changing istio.version under it upgrades istiod in place, and every
  // sidecar and the gateway follow on their next restart: the opposite of a canary. (Without a pinned revision the
  // revision follows the version, so a new version moves every namespace's istio.io/rev label in one `pulumi up`;
  // production stacks must pin it, see below.)
  const { revision } = c.istio;
  const version = c.istio.version ?? DEFAULT_VERSION;
  if (revision !== undefined && revision !== revisionOf(version)) {
    problems.push(
      `${k("istio.version")}: "${version}" is not the version of the running revision "${revision}" (${k("istio.revision")}): ` +
        `changing the version in place would upgrade that revision, and every sidecar with it, in one pulumi up. Keep the ` +
        `version that revision runs; a new version is installed as a second revision beside it, and namespaces then move ` +
        `to it one at a time: list both in ${k("istio.revisions")} (docs/upgrades.md).`,
    );
  }

  // Azure chooses the address of an IP it creates; only an adopted IP has a known one.
  if (c.staticIp.expectedAddress !== undefined && c.staticIp.adoptResourceId === undefined) {
    problems.push(
      `${k("staticIp.expectedAddress")}: "${c.staticIp.expectedAddress}" cannot be kept: without ${k("staticIp.adoptResourceId")} ` +
        "the stack creates a new IP and Azure picks its address. Remove expectedAddress and point DNS at the stack output " +
        "ingressIp after the first pulumi up, or set adoptResourceId to the existing IP that has this address.",
    );
  }

  // Each namespace in one list only (config/mesh.ts checks that every namespace of the service graph is in one).
  const enrolled = new Set(c.meshNamespaces.map((n) => n.name));
  c.outsideMeshNamespaces.forEach((n, i) => {
    if (enrolled.has(n.name)) {
      problems.push(
        `${k(`outsideMeshNamespaces[${i}].name`)}: "${n.name}" is also enrolled in ${k("meshNamespaces")}; keep it in one list.`,
      );
    }
  });
  return problems;
}

function productionOnly(c: GuardedConfig, k: (path: string) => string): string[] {
  const problems: string[] = [];
  const env = k("environment");

  // The list form names every revision explicitly.
  if (c.istio.revision === undefined && c.istio.revisions === undefined) {
    const version = c.istio.version ?? DEFAULT_VERSION;
    problems.push(
      `${k("istio.revision")}: a production stack pins the revision it runs (${env} is "production"); set it to ` +
        `"${revisionOf(version)}" (the revision of version ${version}), so that a change of ` +
        `${k("istio.version")} is refused instead of moving every namespace to a new revision in one pulumi up.`,
    );
  }

  const gw = c.ingressGateway;
  if (gw.autoscaling.minReplicas < 2) {
    problems.push(
      `${k("ingressGateway.autoscaling.minReplicas")}: is ${gw.autoscaling.minReplicas}; a production gateway runs at ` +
        "least 2 replicas, so a node drain or a crashed pod never leaves every host without a gateway: set 2 or more.",
    );
  }
  if (gw.podDisruptionBudget === undefined) {
    problems.push(
      `${k("ingressGateway.podDisruptionBudget")}: is not set; a production gateway keeps a replica through node ` +
        "drains and cluster upgrades: set podDisruptionBudget.minAvailable to 1 (below autoscaling.minReplicas).",
    );
  }

  c.ingress.hosts.forEach((h, i) => {
    if (h.tls !== undefined) return;
    problems.push(
      `${k(`ingress.hosts[${i}].tls`)}: "${h.host}" would be served over plain HTTP; production hosts serve HTTPS: set ` +
        `tls.credentialName to its certificate's TLS Secret in the gateway namespace ("${gw.namespace}").`,
    );
  });

  const o = c.observability;
  if (o?.enabled) {
    if (o.tls === undefined) {
      problems.push(
        `${k("observability.tls")}: the monitoring host would be served over plain HTTP, with its logins; production ` +
          `hosts serve HTTPS: set observability.tls.credentialName to a TLS Secret in "${gw.namespace}".`,
      );
    }
    if (o.grafana.anonymousViewer) {
      problems.push(
        `${k("observability.grafana.anonymousViewer")}: is true; in production every dashboard, and the metrics and ` +
          "logs behind it, would be readable by anyone who reaches the monitoring host: remove the key and give " +
          "viewers Grafana accounts.",
      );
    }
  }
  return problems;
}
