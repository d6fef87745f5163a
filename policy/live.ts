// Live objects: the Istio objects that already run in the cluster but that the stack does not own (prod's Gateways,
// VirtualServices, DestinationRules, PeerAuthentications made by hand before the takeover).
//
// How they reach the pack. A policy pack sees only the program's resources, and the only other input that both
// `pulumi preview --policy-pack policy --policy-pack-config FILE` and the offline plan hand to it is the policy config
// (the engine validates it against each policy's configSchema and sends it with Configure). So the live objects travel
// as a config property, LIVE_OBJECTS_PROPERTY, of every policy in LIVE_POLICIES; config is per policy in CrossGuard
// (@pulumi/policy server.js gives each validator its own policy's entry only), hence one copy per policy. The plan fills
// it from `--live FILE`; for the CLI, `npm run live-config -- <stack> FILE` writes the same config to pass. Without it
// the property defaults to [] and nothing changes. The alternatives were worse: stack config would put the export in
// the program's config and state; a file path read by the pack would depend on the pack's working directory.
//
// How the checks use them. Live objects are only ever the other side of a conflict: withLiveObjects() hands a
// cross-object check the live objects as extra resources and drops every violation it reports on one of them, so a
// conflict among live objects alone is never the stack's violation, and each one left is reported on the stack's
// resource that would conflict. noClashWithLiveIstioObjects reports, on the stack's resources, every live object the
// stack would collide with by name or duplicate, with the step it needs; `npm run plan -- <stack> --live FILE` lists
// every live object with its step from the same inventory().
import type { PolicyConfigSchema, PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { AreaPolicy, Why } from "./lib/why";
import {
  at,
  canonical,
  fullName,
  hostFqdn,
  hostsMatch,
  isIstioObject,
  isObject,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  meshRootNamespace,
  namespacedRef,
  num,
  podTemplates,
  selects,
  selectorString,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "./lib";
import { MANAGED_BY, MANAGED_BY_LABEL, PART_OF, PART_OF_LABEL } from "./contract";

/** The config property that carries the live objects. */
export const LIVE_OBJECTS_PROPERTY = "liveObjects";

/** The name of the policy that reports collisions with live objects. */
export const NO_CLASH_POLICY = "no-clash-with-live-istio-objects";

/**
 * Cross-object checks that see live objects as the other side of a conflict. A check belongs here when a live object
 * can be what a stack object conflicts with (same host, same scope); not when a live object could satisfy a
 * requirement, since the live objects the stack duplicates are deleted after cutover.
 */
export const LIVE_AWARE_CHECKS: readonly string[] = [
  "ist0109-conflicting-mesh-gateway-virtualservice-hosts",
  "ist0145-conflicting-gateways",
  "virtualservice-gateway-host-unique",
  "peer-authentication-single-mesh-wide",
];

/** Every policy whose config carries the live objects. */
export const LIVE_POLICIES: readonly string[] = [...LIVE_AWARE_CHECKS, NO_CLASH_POLICY];

/** Labels this program puts on every object it creates (components/shared/labels.ts): such objects are the stack's. */
const OWNED_LABELS: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY, [PART_OF_LABEL]: PART_OF };

/** The JSON schema of the property: objects as `kubectl get -o yaml` lists them (status and server fields dropped). */
export const LIVE_OBJECTS_SCHEMA: PolicyConfigSchema["properties"][string] = {
  type: "array",
  default: [],
  description:
    "Istio objects that exist in the cluster but not in the stack (`npm run live-config`, or the plan's --live), " +
    "counted only as the other side of a conflict.",
  items: {
    type: "object",
    required: ["apiVersion", "kind", "metadata"],
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    },
  },
};

/** URNs of live objects start with this; no Pulumi URN does. */
export const LIVE_URN_PREFIX = "live::";

/** `kubernetes:<group>/<version>:<Kind>`, the type token a live object would have in a stack. */
export function liveTypeToken(apiVersion: string, kind: string): string {
  const slash = apiVersion.lastIndexOf("/");
  const group = slash < 0 ? "core" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return `kubernetes:${group}/${version}:${kind}`;
}

/** A live object as a KubeObject; its URN names it, so messages and tests can tell it from the stack's. */
export function liveKubeObject(raw: Json): KubeObject | undefined {
  if (!isObject(raw)) return undefined;
  const apiVersion = str(raw.apiVersion);
  const kind = str(raw.kind);
  const name = str(at(raw, "metadata", "name"));
  if (typeof apiVersion !== "string" || typeof kind !== "string" || typeof name !== "string") return undefined;
  const ns = str(at(raw, "metadata", "namespace"));
  const urn = `${LIVE_URN_PREFIX}${apiVersion}:${kind}::${typeof ns === "string" ? `${ns}/` : ""}${name}`;
  return kubeObject(liveTypeToken(apiVersion, kind), raw, urn);
}

export const isLive = (o: { urn: string }): boolean => o.urn.startsWith(LIVE_URN_PREFIX);

/** Whether the stack created the object itself (its labels), so it is no live object but the stack's own. */
export function ownedByStack(o: KubeObject): boolean {
  return (
    o.labels !== UNKNOWN &&
    Object.entries(OWNED_LABELS).every(([k, v]) => (o.labels as Record<string, string>)[k] === v)
  );
}

/** The live objects a policy's config carries, minus any this program created. */
export function liveObjectsOf(args: { getConfig<C extends object>(): C }): KubeObject[] {
  const raw = args.getConfig<Record<string, unknown>>()[LIVE_OBJECTS_PROPERTY];
  if (!Array.isArray(raw)) return [];
  return raw.map((r) => liveKubeObject(r as Json)).filter((o): o is KubeObject => o !== undefined && !ownedByStack(o));
}

/**
 * A resource as the engine hands it to a stack policy, with no parent, dependencies or options beyond `protect`: how
 * live objects join a check's resources, and how the plan reads its own planned resources with the pack's readers.
 */
export function policyResource(r: {
  type: string;
  props: Record<string, unknown>;
  urn: string;
  name: string;
  protect?: boolean;
}): PolicyResource {
  return {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: {
      protect: r.protect ?? false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

const asPolicyResource = (o: KubeObject): PolicyResource =>
  policyResource({ type: o.type, props: o.body, urn: o.urn, name: typeof o.name === "string" ? o.name : "" });

/**
 * The same check, seeing the live objects as well: they join the resources, and what it reports on a live object is
 * dropped (a conflict among live objects only, or the live side of one with the stack, whose stack side is reported).
 */
export function withLiveObjects(policy: StackValidationPolicy): StackValidationPolicy {
  return {
    ...policy,
    configSchema: {
      ...policy.configSchema,
      properties: { ...policy.configSchema?.properties, [LIVE_OBJECTS_PROPERTY]: LIVE_OBJECTS_SCHEMA },
    },
    validateStack: (args, report) => {
      const live = liveObjectsOf(args);
      const withLive: StackValidationArgs = { ...args, resources: [...args.resources, ...live.map(asPolicyResource)] };
      return policy.validateStack(withLive, (message, urn) => {
        if (urn === undefined || !urn.startsWith(LIVE_URN_PREFIX)) report(message, urn);
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The inventory: what the stack does to each live object
// ---------------------------------------------------------------------------------------------------------------

/** What the stack does to a live object. */
export type LiveRelation = "conflict" | "duplicate" | "none";
/** The step the live object needs: taken over by the stack, deleted once the stack serves its traffic, or left. */
export type LiveStep = "import" | "delete after cutover" | "keep";

export interface LiveEntry {
  object: KubeObject;
  /** conflict: the stack declares the same kind, namespace and name; duplicate: it serves the same thing. */
  relation: LiveRelation;
  step: LiveStep;
  /** The stack's objects involved, each with why. */
  stack: { object: KubeObject; reason: string }[];
  /** What to do, in a sentence. */
  note: string;
}

/** Labels of the pods of the stack's workloads (gateway Deployments among them). */
function stackPodLabels(stack: KubeObject[]): Record<string, string>[] {
  return stack.flatMap(podTemplates).flatMap((t) => (t.labels === UNKNOWN ? [] : [t.labels]));
}

const subset = (a: Record<string, string>, b: Record<string, string>) =>
  Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Whether two Gateways program the same pods. A Gateway applies to every pod its selector matches, in any namespace
 * (Istio's default, PILOT_SCOPE_GATEWAY_TO_NAMESPACE=false): they share pods when one selector is contained in the
 * other (the larger one's pods match both), or when a pod the stack runs matches both.
 */
function shareGatewayPods(a: KubeObject, b: KubeObject, pods: Record<string, string>[]): boolean | Unknown {
  const sa = stringMap(at(a.spec, "selector"));
  const sb = stringMap(at(b.spec, "selector"));
  if (sa === UNKNOWN || sb === UNKNOWN) return UNKNOWN;
  if (subset(sa, sb) || subset(sb, sa)) return true;
  return pods.some((p) => selects(sa, p) === true && selects(sb, p) === true);
}

/** A Gateway's servers as (port, host) pairs; a "namespace/host" server host serves `host` (the namespace only limits binding). */
function gatewayListeners(gw: KubeObject): { port: number; host: string }[] | Unknown {
  const servers = list(at(gw.spec, "servers"));
  if (servers === UNKNOWN) return UNKNOWN;
  const out: { port: number; host: string }[] = [];
  for (const s of servers) {
    const port = num(at(s, "port", "number"));
    const hosts = list(at(s, "hosts"));
    if (port === UNKNOWN || hosts === UNKNOWN) return UNKNOWN;
    if (port === undefined) continue;
    for (const h of hosts) {
      if (h === UNKNOWN) return UNKNOWN;
      if (typeof h === "string") out.push({ port, host: h.includes("/") ? h.slice(h.indexOf("/") + 1) : h });
    }
  }
  return out;
}

/** Hosts of a VirtualService or ServiceEntry, resolved to FQDNs from its namespace, lower-cased. */
function hostsOf(o: KubeObject): string[] {
  if (o.namespace === UNKNOWN) return [];
  const ns = o.namespace;
  return knownItems(at(o.spec, "hosts"))
    .filter((h): h is string => typeof h === "string")
    .map((h) => hostFqdn(h, ns).toLowerCase());
}

/** The gateways a VirtualService binds to, as "namespace/name" or "mesh". */
function vsGatewayRefs(vs: KubeObject): string[] {
  if (vs.namespace === UNKNOWN) return [];
  const ns = vs.namespace;
  const gws = knownItems(at(vs.spec, "gateways")).filter((g): g is string => typeof g === "string");
  if (gws.length === 0) return ["mesh"];
  return gws.map((g) => {
    if (g === "mesh") return g;
    const ref = namespacedRef(g, ns);
    return `${ref.namespace}/${ref.name}`;
  });
}

/** The workload selector of a scoped policy (PeerAuthentication, Telemetry, Sidecar, ...) as a comparable string. */
function scopeSelector(o: KubeObject): string | undefined {
  const sel = o.kind === "Sidecar" ? at(o.spec, "workloadSelector", "labels") : at(o.spec, "selector", "matchLabels");
  const labels = stringMap(sel);
  return labels === UNKNOWN ? undefined : selectorString(labels);
}

/** Kinds of which only one applies per namespace and selector (Istio uses the oldest; IST0110/IST0111 for Sidecars). */
const ONE_PER_SCOPE = new Set(["PeerAuthentication", "Telemetry", "Sidecar"]);

const sameId = (a: KubeObject, b: KubeObject) =>
  a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/**
 * What the stack does to each live object: collides with it by name (import), duplicates it (delete after cutover,
 * or keep when the stack covers only part of it), or leaves it alone (keep). `stack` is every Kubernetes object the
 * stack declares; Namespaces are listed only when the stack creates one that exists.
 */
export function inventory(stack: KubeObject[], live: KubeObject[], root: string | Unknown): LiveEntry[] {
  const own = stack.filter((o) => !o.isPatch);
  const pods = stackPodLabels(stack);
  const stackGateways = own.filter((o) => isIstioObject(o) && o.kind === "Gateway");
  const gatewaysByRef = new Map<string, KubeObject>();
  for (const g of [...stackGateways, ...live.filter((o) => isIstioObject(o) && o.kind === "Gateway")]) {
    if (typeof g.namespace === "string" && typeof g.name === "string") gatewaysByRef.set(`${g.namespace}/${g.name}`, g);
  }
  const bindingsOverlap = (a: string, b: string): boolean => {
    if (a === b) return true;
    const ga = gatewaysByRef.get(a);
    const gb = gatewaysByRef.get(b);
    return !!ga && !!gb && shareGatewayPods(ga, gb, pods) === true;
  };

  const entries: LiveEntry[] = [];
  for (const l of live) {
    if (l.group === "" && l.kind === "Namespace") {
      const same = own.find((s) => sameId(s, l));
      if (same) entries.push(conflictEntry(l, same));
      continue;
    }
    if (!isIstioObject(l)) continue;
    const same = own.find((s) => sameId(s, l));
    if (same) {
      entries.push(conflictEntry(l, same));
      continue;
    }
    const found: { object: KubeObject; reason: string }[] = [];
    // Parts of the live object the stack serves (Gateway "host:port", VirtualService host), to tell full from partial.
    const covered = new Set<string>();
    let parts: string[] = [];
    const peers = own.filter((s) => s.group === l.group && s.kind === l.kind && s.namespace !== UNKNOWN);

    if (l.kind === "Gateway") {
      const mine = gatewayListeners(l);
      if (mine !== UNKNOWN) {
        parts = mine.map((x) => `${x.host}:${x.port}`);
        for (const s of peers) {
          if (shareGatewayPods(l, s, pods) !== true) continue;
          const theirs = gatewayListeners(s);
          if (theirs === UNKNOWN) continue;
          const hit = mine.filter((m) => theirs.some((t) => t.port === m.port && hostsMatch(t.host, m.host)));
          if (hit.length === 0) continue;
          for (const h of hit) covered.add(`${h.host}:${h.port}`);
          found.push({
            object: s,
            reason:
              `serves ${[...new Set(hit.map((h) => `${h.host}:${h.port}`))].join(", ")} to the same gateway pods ` +
              "(istiod merges every Gateway that selects a pod into its listeners, oldest first, and the same host on " +
              "the same port from two Gateways collides there: pilot/pkg/model/gateway.go MergeGateways)",
          });
        }
      }
    } else if (l.kind === "VirtualService") {
      const mine = hostsOf(l);
      parts = mine;
      const refs = vsGatewayRefs(l);
      for (const s of peers) {
        const theirs = hostsOf(s);
        const shared = mine.filter((h) => theirs.includes(h));
        const sharedGateways = refs.filter((r) => vsGatewayRefs(s).some((t) => bindingsOverlap(r, t)));
        if (shared.length === 0 || sharedGateways.length === 0) continue;
        for (const h of shared) covered.add(h);
        found.push({
          object: s,
          reason:
            `routes ${shared.join(", ")} on the same ${sharedGateways.includes("mesh") ? "mesh" : "gateway pods"} ` +
            "(istiod appends the routes of both to one virtual host, the older Gateway's first, so the hand-made routes " +
            "win where they overlap: pilot/pkg/networking/core/gateway.go buildGatewayHTTPRouteConfig)",
        });
      }
    } else if (l.kind === "DestinationRule" || l.kind === "ServiceEntry") {
      const field = l.kind === "DestinationRule" ? "host" : "hosts";
      const mine = l.kind === "DestinationRule" ? [str(at(l.spec, "host"))] : knownItems(at(l.spec, "hosts"));
      for (const s of peers.filter((p) => p.namespace === l.namespace)) {
        if (canonical(at(s.spec, "workloadSelector")) !== canonical(at(l.spec, "workloadSelector"))) continue;
        const theirs = l.kind === "DestinationRule" ? [str(at(s.spec, "host"))] : knownItems(at(s.spec, "hosts"));
        const shared = mine.filter((h): h is string => typeof h === "string" && theirs.includes(h));
        if (shared.length === 0) continue;
        found.push({
          object: s,
          reason: `sets ${field} ${shared.join(", ")} in the same namespace (Istio keeps one of them per host, the oldest)`,
        });
      }
    } else if (ONE_PER_SCOPE.has(l.kind)) {
      const sel = scopeSelector(l);
      for (const s of peers.filter((p) => p.namespace === l.namespace)) {
        if (sel === undefined || scopeSelector(s) !== sel) continue;
        const scope =
          sel !== ""
            ? `workloads ${sel} of namespace ${String(l.namespace)}`
            : l.namespace === root
              ? "the whole mesh"
              : `namespace ${String(l.namespace)}`;
        found.push({ object: s, reason: `applies to the same scope, ${scope} (Istio applies only the oldest)` });
      }
    }
    // Any other kind (AuthorizationPolicy, RequestAuthentication, EnvoyFilter, ...) adds to the others: only an
    // identical spec in the same namespace duplicates it.
    for (const s of peers.filter((p) => p.namespace === l.namespace && !found.some((f) => f.object === p))) {
      const spec = canonical(l.spec);
      if (spec !== undefined && spec === canonical(s.spec)) found.push({ object: s, reason: "has the same spec" });
    }

    if (found.length === 0) {
      entries.push({
        object: l,
        relation: "none",
        step: "keep",
        stack: [],
        note: "The stack declares nothing that overlaps it: it stays as it is, outside the stack.",
      });
      continue;
    }
    const left = parts.filter((p) => !covered.has(p));
    const partial = (l.kind === "Gateway" || l.kind === "VirtualService") && left.length > 0;
    entries.push({
      object: l,
      relation: "duplicate",
      step: partial ? "keep" : "delete after cutover",
      stack: found,
      note: partial
        ? `The stack serves only part of it: keep it for ${left.join(", ")}, and after cutover remove the rest from it.`
        : `Keep it until the stack's gateway serves the traffic (cutover), then delete it: kubectl -n ${String(l.namespace)} ` +
          `delete ${l.kind.toLowerCase()}.${l.group} ${String(l.name)}.`,
    });
  }
  return entries;
}

function conflictEntry(l: KubeObject, s: KubeObject): LiveEntry {
  return {
    object: l,
    relation: "conflict",
    step: "import",
    stack: [{ object: s, reason: "declares the same kind, namespace and name (creating it fails: it already exists)" }],
    note:
      "Take it over in the first `pulumi up` with aks-mesh:cluster.upsertExistingObjects: true (the stack's spec " +
      "replaces the live one), or delete it right before that `pulumi up`.",
  };
}

/** "Gateway istio-system/bookinfo-gateway" */
export const objectLabel = (o: KubeObject): string => `${o.kind} ${fullName(o)}`;

export const noClashWithLiveIstioObjects: StackValidationPolicy & Why = {
  name: NO_CLASH_POLICY,
  description:
    "The stack neither recreates nor silently duplicates the Istio objects already running in the cluster (the " +
    "live export in this policy's liveObjects): a same-named object fails to create, and a second Gateway, " +
    "VirtualService, DestinationRule or PeerAuthentication for the same host or scope is merged by istiod with the " +
    "older, hand-made one winning (house rule; Istio traffic management and authentication docs).",
  enforcementLevel: "advisory",
  why: "a hand-made Istio object on the same host or scope stays in force beside the stack's; reported with its step, which comes after cutover, so it cannot block",
  configSchema: { properties: { [LIVE_OBJECTS_PROPERTY]: LIVE_OBJECTS_SCHEMA } },
  validateStack: (args, report) => {
    const live = liveObjectsOf(args);
    if (live.length === 0) return;
    const stack = kubeObjects(args.resources);
    for (const e of inventory(stack, live, meshRootNamespace(args.resources))) {
      if (e.relation === "none") continue;
      for (const s of e.stack) {
        report(
          `${objectLabel(s.object)} ${s.reason}: the live ${objectLabel(e.object)}, made outside the stack, ` +
            `${e.relation === "conflict" ? "has its name" : "does the same"}. Step for the live object: ${e.step}. ${e.note}`,
          s.object.urn,
        );
      }
    }
  },
};

export const livePolicies: AreaPolicy[] = [noClashWithLiveIstioObjects];
