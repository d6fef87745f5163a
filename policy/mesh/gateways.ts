// istioctl analyze ports that read Gateways and the gateway pods they select (Istio 1.23.4
// pkg/config/analysis/analyzers/gateway and k8sgateway).
import type { StackValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import {
  at,
  fullName,
  hasUnknown,
  hostsMatch,
  istioObjects,
  type Json,
  type KubeObject,
  kubeObjects,
  knownItems,
  list,
  num,
  podTemplates,
  selectorString,
  selects,
  str,
  stringMap,
  UNKNOWN,
  type Unknown,
} from "../lib";
import { strings } from "../lib/virtual-services";

/** kubernetes Gateway API: the label istiod puts on the pods it deploys for a Gateway. */
const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

// ---------------------------------------------------------------------------------------------------------------
// IST0145 ConflictingGateways
// ---------------------------------------------------------------------------------------------------------------

export const ist0145ConflictingGateways: StackValidationPolicy & Why = {
  name: "ist0145-conflicting-gateways",
  description:
    "No two Gateways with the same selector serve the same host on the same port: the gateway workload would get " +
    "two conflicting listeners and keep one at random (istioctl analyze IST0145, " +
    "analyzers/gateway/conflictinggateway.go).",
  enforcementLevel: "mandatory",
  why: "the workload gets two conflicting listeners",
  validateStack: (args, report) => {
    interface Server {
      gw: KubeObject;
      selector: string;
      port: number;
      hosts: string[];
    }
    const servers: Server[] = [];
    for (const gw of istioObjects(kubeObjects(args.resources), "Gateway")) {
      const sel = stringMap(at(gw.spec, "selector"));
      if (sel === UNKNOWN || gw.name === UNKNOWN || gw.namespace === UNKNOWN) continue;
      for (const s of knownItems(at(gw.spec, "servers"))) {
        const port = num(at(s, "port", "number"));
        const hosts = strings(at(s, "hosts"));
        if (typeof port !== "number" || hosts === UNKNOWN) continue;
        servers.push({ gw, selector: selectorString(sel), port, hosts });
      }
    }
    // initGatewaysMap: selector~port -> gateway -> hosts of its last server on that port (a later server of the same
    // Gateway and port replaces an earlier one there, so analyze compares against the last one only; so do we).
    const byKey = new Map<string, Map<string, string[]>>();
    for (const o of servers) {
      const key = `${o.selector}~${o.port}`;
      const m = byKey.get(key) ?? new Map<string, string[]>();
      m.set(fullName(o.gw), o.hosts);
      byKey.set(key, m);
    }
    for (const s of servers) {
      const conflicting = new Set<string>();
      for (const [name, hosts] of byKey.get(`${s.selector}~${s.port}`) ?? []) {
        if (name === fullName(s.gw)) continue;
        if (s.hosts.some((h) => hosts.some((oh) => hostsMatch(h, oh)))) conflicting.add(name);
      }
      if (conflicting.size === 0) continue;
      report(
        `Conflict with gateways ${[...conflicting].sort().join(",")} (workload selector ${s.selector}, port ${s.port}, ` +
          `hosts ${s.hosts.join(",")}) in Gateway ${fullName(s.gw)}: serve each host and port from one Gateway.`,
        s.gw.urn,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0166 IneffectiveSelector
// ---------------------------------------------------------------------------------------------------------------

const SELECTOR_POLICY_KINDS = ["AuthorizationPolicy", "RequestAuthentication", "Telemetry", "WasmPlugin"];

export const ist0166IneffectiveSelector: StackValidationPolicy & Why = {
  name: "ist0166-ineffective-selector",
  description:
    "Policies (AuthorizationPolicy, RequestAuthentication, Telemetry, WasmPlugin) target Kubernetes Gateway API " +
    "gateways with targetRef, not a selector: Istio ignores the selector for those pods (istioctl analyze IST0166).",
  enforcementLevel: "mandatory",
  why: "Istio ignores the selector there",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    // Labels of Gateway API gateway pods per namespace: stack workloads with the label, and the pods istiod deploys
    // for each gateway.networking.k8s.io Gateway (labelled with its name).
    const pods: { namespace: string; labels: Record<string, string> | Unknown; exact: boolean }[] = [];
    for (const t of objects.flatMap(podTemplates)) {
      if (t.namespace === UNKNOWN) continue;
      if (t.labels === UNKNOWN) pods.push({ namespace: t.namespace, labels: UNKNOWN, exact: true });
      else if (t.labels[GATEWAY_NAME_LABEL] !== undefined)
        pods.push({ namespace: t.namespace, labels: t.labels, exact: true });
    }
    for (const g of objects) {
      if (g.group !== "gateway.networking.k8s.io" || g.kind !== "Gateway" || g.namespace === UNKNOWN) continue;
      pods.push({
        namespace: g.namespace,
        labels: g.name === UNKNOWN ? UNKNOWN : { [GATEWAY_NAME_LABEL]: g.name },
        exact: false,
      });
    }
    for (const kind of SELECTOR_POLICY_KINDS) {
      for (const p of istioObjects(objects, kind)) {
        if (at(p.spec, "targetRef") !== undefined || at(p.spec, "targetRefs") !== undefined) continue;
        const sel = stringMap(at(p.spec, "selector", "matchLabels"));
        if (sel === UNKNOWN || Object.keys(sel).length === 0 || p.namespace === UNKNOWN) continue;
        for (const pod of pods) {
          if (pod.namespace !== p.namespace || pod.labels === UNKNOWN) continue;
          // For istiod-deployed pods only the gateway-name label is known: decide only selectors limited to it.
          if (!pod.exact && Object.keys(sel).some((k) => k !== GATEWAY_NAME_LABEL)) continue;
          if (selects(sel, pod.labels) === true) {
            report(
              `Ineffective selector on Kubernetes Gateway ${pod.labels[GATEWAY_NAME_LABEL] ?? ""}. Use the TargetRef field ` +
                `instead (${kind} ${fullName(p)}).`,
              p.urn,
            );
            break;
          }
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0162 GatewayPortNotDefinedOnService
// ---------------------------------------------------------------------------------------------------------------

export const ist0162GatewayPortNotDefinedOnService: StackValidationPolicy & Why = {
  name: "ist0162-gateway-port-not-defined-on-service",
  description:
    "Every server port of a Gateway is a TCP port (or targetPort) of a Service selecting the gateway pods: otherwise " +
    "no traffic reaches that listener (istioctl analyze IST0162, analyzers/gateway/gateway.go; decided when the stack " +
    "declares both the gateway pods and their Service).",
  enforcementLevel: "mandatory",
  why: "no traffic reaches that listener",
  validateStack: (args, report) => {
    const objects = kubeObjects(args.resources);
    const templates = objects.flatMap(podTemplates);
    const services = objects.filter((o) => o.group === "" && o.kind === "Service" && !o.isPatch);
    for (const gw of istioObjects(objects, "Gateway")) {
      const sel = stringMap(at(gw.spec, "selector"));
      if (sel === UNKNOWN) continue;
      const pods = templates.filter((t) => selects(sel, t.labels) === true);
      if (pods.length === 0 || templates.some((t) => t.labels === UNKNOWN || t.namespace === UNKNOWN)) continue;
      const ports = new Set<number>();
      let serviceFound = false;
      let unknown = false;
      for (const pod of pods) {
        for (const svc of services) {
          if (svc.namespace !== pod.namespace) continue;
          const svcSel = stringMap(at(svc.spec, "selector"));
          if (svcSel === UNKNOWN) {
            unknown = true;
            continue;
          }
          // A Service without a selector selects no pod (klabels.SelectorFromSet of an empty map matches all, but
          // Kubernetes Services without a selector have no endpoints; analyze matches them too, so do we).
          if (selects(svcSel, pod.labels) !== true) continue;
          serviceFound = true;
          const svcPorts = list(at(svc.spec, "ports"));
          if (svcPorts === UNKNOWN) {
            unknown = true;
            continue;
          }
          for (const p of svcPorts) {
            const protocol = str(at(p, "protocol")) ?? "TCP";
            const port = num(at(p, "port"));
            const target = at(p, "targetPort");
            if (protocol === UNKNOWN || port === UNKNOWN || target === UNKNOWN) {
              unknown = true;
              continue;
            }
            if (protocol !== "TCP" || port === undefined) continue;
            // Like port.TargetPort.IntValue(): a named targetPort counts as 0, so the Service port is used.
            ports.add(port);
            if (typeof target === "number" && target !== 0) ports.add(target);
          }
        }
      }
      if (!serviceFound || unknown) continue;
      for (const server of knownItems(at(gw.spec, "servers"))) {
        const n = num(at(server, "port", "number"));
        if (typeof n !== "number" || ports.has(n)) continue;
        report(
          `The gateway refers to a port that is not exposed on the workload (pod selector ${selectorString(sel)}; port ` +
            `${n}) (Gateway ${fullName(gw)}): add port ${n} to the gateway's Service or change the server port.`,
          gw.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// IST0138 GatewayDuplicateCertificate
// ---------------------------------------------------------------------------------------------------------------

/** certificate.go haveSameCertificate: the same credentialName, or the same serverCertificate and privateKey files. */
function sameCertificate(a: Json, b: Json): boolean {
  const cred = (t: Json) => String(str(at(t, "credentialName")) ?? "");
  if (cred(a) !== "" && cred(b) !== "") return cred(a) === cred(b);
  if (cred(a) !== "" || cred(b) !== "") return false;
  const cert = (t: Json) => String(str(at(t, "serverCertificate")) ?? "");
  const key = (t: Json) => String(str(at(t, "privateKey")) ?? "");
  return cert(a) !== "" && cert(a) === cert(b) && key(a) !== "" && key(a) === key(b);
}

export const ist0138GatewayDuplicateCertificate: StackValidationPolicy & Why = {
  name: "ist0138-gateway-duplicate-certificate",
  description:
    "Two Gateways on the same workload (one's selector a subset of the other's) do not serve the same certificate: " +
    "HTTP/2 clients reuse the connection for both and get 404s (istioctl analyze IST0138, " +
    "analyzers/gateway/certificate.go; PILOT_SCOPE_GATEWAY_TO_NAMESPACE off, as istiod's default).",
  enforcementLevel: "mandatory",
  why: "HTTP/2 clients reuse the connection across gateways and get 404s",
  validateStack: (args, report) => {
    const gateways = istioObjects(kubeObjects(args.resources), "Gateway");
    for (const g of gateways) {
      const sel = stringMap(at(g.spec, "selector"));
      const servers = list(at(g.spec, "servers"));
      if (sel === UNKNOWN || servers === UNKNOWN || hasUnknown(servers)) continue;
      for (const h of gateways) {
        if (h === g) continue;
        const hSel = stringMap(at(h.spec, "selector"));
        const hServers = list(at(h.spec, "servers"));
        if (hSel === UNKNOWN || hServers === UNKNOWN || hasUnknown(hServers)) continue;
        if (!Object.entries(sel).every(([k, v]) => hSel[k] === v)) continue;
        const duplicate = servers.some((a) =>
          hServers.some((b) => {
            const ta = at(a, "tls");
            const tb = at(b, "tls");
            return ta !== undefined && tb !== undefined && sameCertificate(ta, tb);
          }),
        );
        if (duplicate) {
          report(
            `Duplicate certificate in multiple gateways [${fullName(g)} ${fullName(h)}] may cause 404s if clients ` +
              "re-use HTTP2 connections: serve the hosts that share a certificate from one Gateway.",
            g.urn,
          );
        }
      }
    }
  },
};
