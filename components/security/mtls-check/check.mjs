// The mTLS compatibility check (aks-mesh:security:MtlsCompatibilityCheck, automated mode). Run by a Kubernetes Job
// without a sidecar before any PeerAuthentication of its scope turns STRICT; `pulumi up` awaits the Job, so a failure
// here stops the rollout. Plain Node 22, no dependencies: the Job mounts this one file from a ConfigMap.
//
// It fails when, in the scope's namespaces:
//   - Prometheus saw plaintext reach a sidecar within the window: istio_requests_total or
//     istio_tcp_connections_opened_total with connection_security_policy="none", as reported by the destination
//     (Istio's standard metrics; the destination proxy knows whether the connection it accepted was mutual TLS);
//   - a workload with a sidecar received fewer than MTLS_MIN_REQUESTS requests plus TCP connections in the window
//     (silence is not evidence that nothing would break);
//   - a pod runs without a sidecar (it would be refused as a client once STRICT is on);
// minus the allowlist. Exit 0: passed; 1: findings (listed); 2: the check could not run.
//
// Environment: PROMETHEUS_URL (base URL, /api/v1/query is appended), MTLS_SCOPE ("*" or namespaces, comma-separated),
// MTLS_WINDOW (a Prometheus duration), MTLS_MIN_REQUESTS, MTLS_ALLOWLIST (JSON [{workload, reason}]),
// PROMETHEUS_WAIT_SECONDS (how long to wait for Prometheus to be ready), KUBE_API_URL, KUBE_TOKEN_FILE, KUBE_CA_FILE
// (the in-cluster defaults).
import fs from "node:fs";
import http from "node:http";
import https from "node:https";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const REVISION_LABEL = "istio.io/rev";
const SIDECAR_CONTAINER = "istio-proxy";
const SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";

class CheckError extends Error {}

function settings(env) {
  const need = (name) => {
    const v = env[name];
    if (v === undefined || v === "") throw new CheckError(`${name} is not set`);
    return v;
  };
  const minRequests = Number(need("MTLS_MIN_REQUESTS"));
  if (!Number.isInteger(minRequests) || minRequests < 1)
    throw new CheckError("MTLS_MIN_REQUESTS must be an integer >= 1");
  const window = need("MTLS_WINDOW");
  if (!/^[1-9][0-9]*(m|h|d)$/.test(window))
    throw new CheckError(`MTLS_WINDOW "${window}" is not a duration such as 24h`);
  const allowlist = JSON.parse(env.MTLS_ALLOWLIST ?? "[]");
  const scope = need("MTLS_SCOPE")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return {
    prometheus: need("PROMETHEUS_URL").replace(/\/+$/, ""),
    scope,
    window,
    minRequests,
    allowlist,
    waitSeconds: Number(env.PROMETHEUS_WAIT_SECONDS ?? "120"),
    kube: {
      url: (env.KUBE_API_URL ?? "https://kubernetes.default.svc").replace(/\/+$/, ""),
      tokenFile: env.KUBE_TOKEN_FILE ?? `${SA_DIR}/token`,
      caFile: env.KUBE_CA_FILE ?? `${SA_DIR}/ca.crt`,
    },
  };
}

/** GET a JSON document; node:http(s) so that the API server's CA and token can be given. */
function getJson(url, { headers = {}, ca } = {}) {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers: { accept: "application/json", ...headers }, ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) {
          reject(new CheckError(`GET ${url}: HTTP ${res.statusCode} ${body.slice(0, 300)}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new CheckError(`GET ${url}: not JSON`));
        }
      });
    });
    req.on("error", (e) => reject(new CheckError(`GET ${url}: ${e.message}`)));
  });
}

function readIfPresent(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

function kubeClient(kube) {
  const token = readIfPresent(kube.tokenFile);
  const ca = readIfPresent(kube.caFile);
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  return (path) => getJson(`${kube.url}${path}`, { headers, ca });
}

/** Polls Prometheus's readiness endpoint until it answers 200 or the deadline passes. */
async function waitForPrometheus(base, waitSeconds) {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const ready = await new Promise((resolve) => {
      const client = base.startsWith("https:") ? https : http;
      const req = client.get(`${base}/-/ready`, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
    });
    if (ready) return;
    if (Date.now() > deadline) throw new CheckError(`Prometheus at ${base} was not ready within ${waitSeconds}s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function query(base, promql) {
  const doc = await getJson(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (doc.status !== "success" || doc.data?.resultType !== "vector") {
    throw new CheckError(`Prometheus query failed: ${promql}: ${JSON.stringify(doc).slice(0, 300)}`);
  }
  return doc.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
}

/**
 * Istio's workload name of a pod, as the injector derives it (istio/istio pkg/kube/util.go GetDeployMetaFromPod): the
 * Deployment's name for a ReplicaSet's pod (the pod-template-hash suffix removed), the controller's name otherwise,
 * the pod's own name without a controller.
 */
function workloadOf(pod) {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return pod.metadata.name;
  const hash = pod.metadata.labels?.["pod-template-hash"];
  if (owner.kind === "ReplicaSet" && hash && owner.name.endsWith(`-${hash}`)) {
    return owner.name.slice(0, -(hash.length + 1));
  }
  return owner.name;
}

/** Whether a pod runs an Istio sidecar: injected (status annotation) or an istio-proxy container (native or not). */
function hasSidecar(pod) {
  if (pod.metadata.annotations?.[SIDECAR_STATUS_ANNOTATION]) return true;
  const names = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  return names.includes(SIDECAR_CONTAINER);
}

function allowedBy(allowlist, namespace, workload) {
  return allowlist.find((a) => {
    const [ns, name] = a.workload.split("/");
    return ns === namespace && (name === "*" || name === workload);
  });
}

async function namespacesInScope(get, scope) {
  if (!scope.includes("*")) return scope;
  const list = await get("/api/v1/namespaces");
  return list.items
    .filter((n) => {
      const labels = n.metadata.labels ?? {};
      return labels[REVISION_LABEL] !== undefined || labels["istio-injection"] === "enabled";
    })
    .map((n) => n.metadata.name)
    .sort();
}

async function runCheck(s) {
  await waitForPrometheus(s.prometheus, s.waitSeconds);
  const get = kubeClient(s.kube);
  const namespaces = await namespacesInScope(get, s.scope);
  const lines = [
    `mTLS compatibility check: scope ${s.scope.join(",")} -> namespaces [${namespaces.join(", ")}], window ${s.window}`,
  ];
  if (namespaces.length === 0) {
    lines.push("No namespace in scope: nothing would break. PASSED");
    return { passed: true, lines };
  }

  // Pods: those without a sidecar, and the workloads that have one (whose inbound traffic must be seen).
  const noSidecar = [];
  const meshed = new Map();
  const accepted = [];
  for (const ns of namespaces) {
    const pods = await get(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`);
    for (const pod of pods.items) {
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
      const workload = workloadOf(pod);
      if (hasSidecar(pod)) {
        meshed.set(`${ns}/${workload}`, { namespace: ns, workload });
        continue;
      }
      const allowed = allowedBy(s.allowlist, ns, workload);
      if (allowed) accepted.push(`pod ${ns}/${pod.metadata.name} without a sidecar (${allowed.reason})`);
      else noSidecar.push(`${ns}/${pod.metadata.name} (workload ${workload})`);
    }
  }

  const nsRegex = namespaces.join("|");
  const inScope = `reporter="destination",destination_workload_namespace=~"${nsRegex}"`;
  const pairBy = "source_workload_namespace, source_workload, destination_workload_namespace, destination_workload";
  const plaintext = [];
  for (const [metric, unit] of [
    ["istio_requests_total", "requests"],
    ["istio_tcp_connections_opened_total", "TCP connections"],
  ]) {
    const rows = await query(
      s.prometheus,
      `sum by (${pairBy}) (increase(${metric}{${inScope},connection_security_policy="none"}[${s.window}])) > 0`,
    );
    for (const { labels: l, value } of rows) {
      const source = `${l.source_workload_namespace ?? "unknown"}/${l.source_workload ?? "unknown"}`;
      const destination = `${l.destination_workload_namespace}/${l.destination_workload}`;
      const text = `${source} -> ${destination}: ${Math.round(value)} plaintext ${unit}`;
      const allowed =
        allowedBy(s.allowlist, l.source_workload_namespace ?? "unknown", l.source_workload ?? "unknown") ??
        allowedBy(s.allowlist, l.destination_workload_namespace, l.destination_workload);
      if (allowed) accepted.push(`${text} (${allowed.reason})`);
      else plaintext.push(text);
    }
  }

  // Inbound volume per destination workload: requests plus TCP connections, mutual TLS or not.
  const volume = new Map();
  for (const metric of ["istio_requests_total", "istio_tcp_connections_opened_total"]) {
    const rows = await query(
      s.prometheus,
      `sum by (destination_workload_namespace, destination_workload) (increase(${metric}{${inScope}}[${s.window}]))`,
    );
    for (const { labels: l, value } of rows) {
      const key = `${l.destination_workload_namespace}/${l.destination_workload}`;
      volume.set(key, (volume.get(key) ?? 0) + value);
    }
  }
  const silent = [];
  for (const [key, { namespace, workload }] of [...meshed].sort()) {
    const seen = volume.get(key) ?? 0;
    if (seen >= s.minRequests) continue;
    const text = `${key}: ${Math.round(seen)} inbound requests and connections in ${s.window}, fewer than ${s.minRequests}`;
    const allowed = allowedBy(s.allowlist, namespace, workload);
    if (allowed) accepted.push(`${text} (${allowed.reason})`);
    else silent.push(text);
  }

  const section = (title, items) => (items.length ? [title, ...items.map((i) => `  - ${i}`)] : []);
  lines.push(
    ...section("Plaintext traffic (source -> destination) that STRICT would refuse:", plaintext),
    ...section("Pods without a sidecar (refused as clients once STRICT is on):", noSidecar),
    ...section("Workloads without enough traffic to judge (silence is not evidence):", silent),
    ...section("Accepted by the allowlist:", accepted),
  );
  const passed = plaintext.length + noSidecar.length + silent.length === 0;
  lines.push(
    passed
      ? "PASSED"
      : "FAILED: fix the sources (give them a sidecar), wait for traffic, or allowlist with a reason " +
          "(aks-mesh:security.mtls.check.allowlist), then set aks-mesh:security.mtls.check.rerun",
  );
  return { passed, lines };
}

async function main() {
  try {
    const { passed, lines } = await runCheck(settings(process.env));
    process.stdout.write(`${lines.join("\n")}\n`);
    process.exitCode = passed ? 0 : 1;
  } catch (e) {
    process.stderr.write(`mTLS compatibility check could not run: ${e instanceof CheckError ? e.message : e.stack}\n`);
    process.exitCode = 2;
  }
}

await main();
