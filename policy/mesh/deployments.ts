// istioctl analyze ports that read Deployments and pods (Istio 1.23.4 pkg/config/analysis/analyzers/deployment).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { declaredNamespaces, INJECTION_LABEL } from "../lib/injection";
import { SIDECAR_INJECT } from "../contract";
import {
  at,
  fullName,
  hasUnknown,
  type Json,
  type KubeObject,
  kubeObject,
  kubeObjects,
  knownItems,
  list,
  num,
  podTemplates,
  selects,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";

// ---------------------------------------------------------------------------------------------------------------
// IST0144 InvalidApplicationUID
// ---------------------------------------------------------------------------------------------------------------

/** util.IsIstioControlPlane: an `istio` label, or release=istio, on the object itself. */
function isIstioControlPlane(o: KubeObject): boolean | Unknown {
  if (o.labels === UNKNOWN) return UNKNOWN;
  return o.labels.istio !== undefined || o.labels.release === "istio";
}

export const ist0144InvalidApplicationUid: ResourceValidationPolicy & Why = {
  name: "ist0144-invalid-application-uid",
  description:
    "No application container or pod runs as UID 1337: the sidecar's iptables rules let that user's traffic bypass " +
    "the proxy (istioctl analyze IST0144, analyzers/deployment/pod.go: Pods and Deployments, istio-proxy and " +
    "istio-operator containers and Istio's own objects excepted).",
  enforcementLevel: "mandatory",
  why: "UID 1337's traffic bypasses the sidecar",
  validateResource: (args, report) => {
    const o = kubeObject(args.type, args.props, args.urn);
    if (
      !o ||
      o.isPatch ||
      (o.kind !== "Pod" && o.kind !== "Deployment") ||
      o.group !== (o.kind === "Pod" ? "" : "apps")
    )
      return;
    if (isIstioControlPlane(o) !== false) return;
    const spec = o.kind === "Pod" ? o.spec : at(o.spec, "template", "spec");
    const uids: (string | number)[] = [];
    const podUid = num(at(spec, "securityContext", "runAsUser"));
    if (podUid === 1337) uids.push("the pod securityContext");
    for (const c of knownItems(at(spec, "containers"))) {
      const name = str(at(c, "name"));
      if (name === UNKNOWN || name === "istio-proxy" || name === "istio-operator") continue;
      if (num(at(c, "securityContext", "runAsUser")) === 1337) uids.push(`container ${String(name)}`);
    }
    for (const where of uids) {
      report(
        `User ID (UID) 1337 is reserved for the sidecar proxy (${o.kind} ${fullName(o)}, ${where}): run the ` +
          "application as another user.",
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0116 DeploymentAssociatedToMultipleServices / IST0137 DeploymentConflictingPorts
// ---------------------------------------------------------------------------------------------------------------

/**
 * util.DeploymentInMesh as analyze decides it: an istio-proxy container, else the pod label, else the pod annotation
 * sidecar.istio.io/inject ("true" means in), else the namespace's istio-injection=enabled (istio.io/rev is not read
 * there). UNKNOWN when it comes down to a namespace the stack does not declare in full.
 */
function deploymentInMesh(
  t: ReturnType<typeof podTemplates>[number],
  namespaces: Map<string, { labels: Record<string, string>; partial: boolean }>,
): boolean | Unknown {
  const containers = list(at(t.spec, "containers"));
  if (containers === UNKNOWN || t.labels === UNKNOWN || t.annotations === UNKNOWN || t.namespace === UNKNOWN)
    return UNKNOWN;
  if (containers.some((c) => str(at(c, "name")) === "istio-proxy" && (str(at(c, "image")) ?? "") !== "")) return true;
  const label = t.labels[SIDECAR_INJECT];
  if (label !== undefined) return label === "true";
  const annotation = t.annotations[SIDECAR_INJECT];
  if (annotation !== undefined) return annotation === "true";
  const ns = namespaces.get(t.namespace);
  if (!ns || ns.partial) return UNKNOWN;
  return ns.labels[INJECTION_LABEL] === "enabled";
}

export const ist0116DeploymentServicePorts: StackValidationPolicy & Why = {
  name: "ist0116-ist0137-deployment-service-ports",
  description:
    "A meshed Deployment's Services do not use one port with different protocols (IST0116) nor one targetPort " +
    "behind different ports (IST0137): the sidecar cannot tell the traffic apart (istioctl analyze, " +
    'analyzers/deployment/services.go; "in the mesh" as util.DeploymentInMesh decides it, for the stack\'s Deployments ' +
    "and Services).",
  enforcementLevel: "mandatory",
  why: "the sidecar cannot tell the traffic of one port or targetPort apart",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const namespaces = declaredNamespaces(objects);
    if (namespaces === UNKNOWN) return;
    const services = objects.filter((o) => o.group === "" && o.kind === "Service" && !o.isPatch);
    for (const d of objects) {
      if (d.kind !== "Deployment" || d.group !== "apps" || d.isPatch || d.labels === UNKNOWN) continue;
      if (d.labels["gateway.istio.io/managed"] === "istio.io-mesh-controller") continue; // waypoints
      for (const t of podTemplates(d)) {
        if (deploymentInMesh(t, namespaces) !== true) continue;
        const matching: { name: string; ports: Json[] }[] = [];
        let unknown = false;
        for (const svc of services) {
          if (svc.namespace !== t.namespace) continue;
          const sel = stringMap(at(svc.spec, "selector"));
          const ports = list(at(svc.spec, "ports"));
          if (sel === UNKNOWN || ports === UNKNOWN || hasUnknown(ports)) {
            unknown = true;
            continue;
          }
          if (Object.keys(sel).length === 0 || selects(sel, t.labels) !== true) continue;
          matching.push({ name: fullName(svc), ports });
        }
        if (unknown) continue;
        const protocols = new Map<number, Map<string, string[]>>();
        const targets = new Map<string, Map<number, string>>();
        for (const m of matching) {
          for (const p of m.ports) {
            const port = num(at(p, "port"));
            if (typeof port !== "number") continue;
            const protocol = String(str(at(p, "protocol")) || "TCP");
            const byProtocol = protocols.get(port) ?? new Map<string, string[]>();
            byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), m.name]);
            protocols.set(port, byProtocol);
            // TargetPort.String(): the number or the name; an unset or 0 targetPort means the port itself.
            const tp = at(p, "targetPort");
            const named = typeof tp === "string" && tp !== "" && tp !== "0" ? tp : undefined;
            const numbered = typeof tp === "number" && tp !== 0 ? String(tp) : undefined;
            const target = named ?? numbered ?? String(port);
            const byPort = targets.get(target) ?? new Map<number, string>();
            byPort.set(port, m.name);
            targets.set(target, byPort);
          }
        }
        for (const [port, byProtocol] of protocols) {
          if (byProtocol.size < 2) continue;
          const names = [...byProtocol.values()].flat().sort();
          report(
            `This deployment ${String(d.name)} is associated with multiple services using port ${port} but different ` +
              `protocols: [${names.join(" ")}] (Deployment ${fullName(d)}).`,
            d.urn,
          );
        }
        for (const [target, byPort] of targets) {
          if (byPort.size < 2) continue;
          const names = [...byPort.values()].sort();
          const ports = [...byPort.keys()].sort((a, b) => a - b);
          report(
            `This deployment ${String(d.name)} is associated with multiple services [${names.join(" ")}] using ` +
              `targetPort "${target}" but different ports: [${ports.join(" ")}] (Deployment ${fullName(d)}).`,
            d.urn,
          );
        }
      }
    }
  },
};
