// AuthorizationPolicy checks: no allow-all rule (house rule) and the GKE Policy Controller's
// asm-authz-policy-default-deny (GoogleCloudPlatform/gke-policy-library, bundles/asm-policy-v0.0.1).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  shown,
  at,
  fullName,
  isIstioObject,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  list,
  meshRootNamespace,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
  podTemplates,
} from "../lib";
import { declaredNamespaces, gatewayNamespaces, installedInjectors, podInjected } from "../lib/injection";
import { INJECT_TEMPLATES_ANNOTATION } from "../contract";

// ---------------------------------------------------------------------------------------------------------------
// AuthorizationPolicy that allows everything
// ---------------------------------------------------------------------------------------------------------------

/** Whether a rule matches every request: no `to`, no `when`, and no `from` or a `from` with an empty source. */
export function ruleMatchesAll(rule: Json): boolean | Unknown {
  if (rule === UNKNOWN) return UNKNOWN;
  const to = at(rule, "to");
  const when = at(rule, "when");
  const from = at(rule, "from");
  if (to === UNKNOWN || when === UNKNOWN || from === UNKNOWN) return UNKNOWN;
  const empty = (v: Json | undefined) => v === undefined || (Array.isArray(v) && v.length === 0);
  if (!empty(to) || !empty(when)) return false;
  if (empty(from)) return true;
  return (from as Json[]).some((f) => {
    const source = at(f, "source");
    return source === undefined || (typeof source === "object" && source !== null && Object.keys(source).length === 0);
  });
}

export const authorizationPolicyNoAllowAll: ResourceValidationPolicy & Why = {
  name: "authorization-policy-no-allow-all",
  description:
    "No AuthorizationPolicy ALLOWs everything (a rule `{}`): it overrides every narrower ALLOW policy on the same " +
    "workloads, the opposite of least privilege (Istio security best practices, authorization policy patterns).",
  enforcementLevel: "mandatory",
  why: "it overrides every narrower ALLOW on the same workloads",
  validateResource: (args, report) => {
    const obj = kubeObject(args.type, args.props, args.urn);
    if (!obj || obj.kind !== "AuthorizationPolicy" || !isIstioObject(obj)) return;
    const spec = obj.spec;
    const action = str(at(spec, "action"));
    if (action === UNKNOWN || (action !== undefined && action !== "ALLOW")) return;
    const rules = list(at(spec, "rules"));
    if (rules === UNKNOWN) return;
    rules.forEach((rule, i) => {
      if (ruleMatchesAll(rule) === true) {
        report(
          `AuthorizationPolicy ${shown(obj.name)} rule ${i} allows every request (an empty rule, or a source {} with no ` +
            "to/when): name the sources (principals, namespaces) and operations it should allow, or remove the policy.",
        );
      }
    });
  },
};

/** An AuthorizationPolicy that denies everything it applies to: ALLOW (or no action) with no rules (GKE's definition). */
interface DefaultDeny {
  namespace: string;
  /** Its selector; {} applies to the whole namespace (the whole mesh in the root namespace). */
  selector: Record<string, string>;
}

/** The default-deny policies the stack declares; UNKNOWN when one may be and its values are not known yet. */
function defaultDenies(objects: KubeObject[]): DefaultDeny[] | Unknown {
  const out: DefaultDeny[] = [];
  for (const ap of istioObjects(objects, "AuthorizationPolicy")) {
    const sel = stringMap(at(ap.spec, "selector", "matchLabels"));
    const action = str(at(ap.spec, "action"));
    const rules = list(at(ap.spec, "rules"));
    const targeted = at(ap.spec, "targetRef") !== undefined || at(ap.spec, "targetRefs") !== undefined;
    if (ap.namespace === UNKNOWN || sel === UNKNOWN || action === UNKNOWN || rules === UNKNOWN) return UNKNOWN;
    if (targeted || (action !== undefined && action !== "ALLOW") || rules.length > 0) continue;
    out.push({ namespace: ap.namespace, selector: sel });
  }
  return out;
}

/**
 * Whether a policy in `policyNs` with `selector` applies to a pod: in the root namespace to matching pods of every
 * namespace, elsewhere to matching pods of its own namespace (Istio AuthorizationPolicy reference, "workload selector").
 */
export function appliesTo(
  policyNs: string,
  selector: Record<string, string>,
  root: string,
  pod: { namespace: string; labels: Record<string, string> },
): boolean {
  if (policyNs !== root && policyNs !== pod.namespace) return false;
  return Object.entries(selector).every(([k, v]) => pod.labels[k] === v);
}

export const asmAuthzPolicyDefaultDeny: StackValidationPolicy & Why = {
  name: "asm-authz-policy-default-deny",
  description:
    "Every workload with a sidecar is under a default-deny AuthorizationPolicy (ALLOW with no rules), so it only " +
    "accepts what an ALLOW policy names: one in the root namespace without a selector covers the mesh; a root-namespace " +
    "one with a selector covers matching workloads of every namespace; a namespace's own covers it (GKE " +
    "asm-authz-policy-mesh-default-deny; Istio security best practices and AuthorizationPolicy reference). Gateway " +
    "workloads (inject.istio.io/templates: gateway) are left out: they serve the internet, so a default-deny there " +
    "needs an ALLOW from any source, which authorization-policy-no-allow-all refuses; what they let in is their " +
    "routes, TLS and DENY rules (JWT).",
  enforcementLevel: "advisory",
  why: "_house rule_: least privilege for every sidecar workload, mesh-wide (the GKE port; aks-mesh:security.authorization writes it per namespace)",
  validateStack: (args, report) => {
    const root = meshRootNamespace(args.resources);
    if (root === UNKNOWN) return;
    const objects = kubeObjects(args.resources);
    // Only meaningful once the stack runs a mesh: it installs istiod.
    const inj = installedInjectors(args.resources);
    if (inj === undefined || inj === UNKNOWN) return;
    const denies = defaultDenies(objects);
    if (denies === UNKNOWN) return;
    const target = args.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    if (denies.some((d) => d.namespace === root && Object.keys(d.selector).length === 0)) return;
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    const gateways = gatewayNamespaces(args.resources, objects);
    const uncovered: string[] = [];
    let units = 0;
    // Enrolled namespaces: every future pod there needs the namespace's own (or the mesh's) default-deny.
    for (const [name, ns] of namespaces) {
      if (gateways.has(name) || !podInjected(inj, ns.labels, { namespace: name, labels: {}, annotations: {} }))
        continue;
      units++;
      if (!denies.some((d) => d.namespace === name && Object.keys(d.selector).length === 0))
        uncovered.push(`namespace ${name}`);
    }
    // Workloads the stack declares that get a sidecar; gateway pods (injected with the gateway template) are the
    // mesh's public entry, not a sidecar workload.
    for (const o of objects) {
      for (const t of podTemplates(o)) {
        if (t.namespace === UNKNOWN || t.labels === UNKNOWN || t.annotations === UNKNOWN) continue;
        if (t.annotations[INJECT_TEMPLATES_ANNOTATION] === "gateway") continue;
        const ns = namespaces.get(t.namespace);
        const pod = { namespace: t.namespace, labels: t.labels, annotations: t.annotations };
        if (!podInjected(inj, ns?.labels ?? {}, pod)) continue;
        units++;
        if (!denies.some((d) => appliesTo(d.namespace, d.selector, root, pod)))
          uncovered.push(`${o.kind} ${fullName(o)}`);
      }
    }
    if (units > 0 && uncovered.length === 0) return;
    const what = uncovered.length > 0 ? ` (not covered: ${uncovered.join(", ")})` : "";
    report(
      `The mesh has no default-deny AuthorizationPolicy for every workload${what}: add one in ${root} with an empty ` +
        "spec ({}), or one per namespace or root-namespace selector, then one ALLOW policy per workload for the " +
        "traffic it needs (aks-mesh:security.authorization writes both per namespace).",
      target?.urn,
    );
  },
};
