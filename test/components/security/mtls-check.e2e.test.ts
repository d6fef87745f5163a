// The mTLS compatibility check's script (components/security/mtls-check/check.mjs) against a real Prometheus: Istio's
// series written as OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, served by
// `prometheus` on loopback under the route prefix the observability area gives it. Only the API server is stood in
// for, by a small HTTP server answering the two lists the script reads (namespaces, pods of a namespace).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { ROOT, tempDir } from "../../harness";
import { describeWithTools, runTool } from "../../support/prom-tools";

const SCRIPT = path.join(ROOT, "components", "security", "mtls-check", "check.mjs");
const PREFIX = "/prometheus";

interface Pod {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
  status: { phase: string };
}

/** A Deployment's pod as Kubernetes names it, with or without an injected sidecar. */
function pod(deployment: string, sidecar: boolean, n = 0): Pod {
  const hash = "5d8f7c9b4";
  return {
    metadata: {
      name: `${deployment}-${hash}-x${n}`,
      labels: { app: deployment, "pod-template-hash": hash },
      annotations: sidecar ? { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' } : {},
      ownerReferences: [{ kind: "ReplicaSet", name: `${deployment}-${hash}`, controller: true }],
    },
    spec: { containers: [{ name: deployment }, ...(sidecar ? [{ name: "istio-proxy" }] : [])] },
    status: { phase: "Running" },
  };
}

/** What the stand-in API server answers: namespaces with their labels, and each namespace's pods. */
const cluster: { namespaces: Record<string, Record<string, string>>; pods: Record<string, Pod[]> } = {
  namespaces: {},
  pods: {},
};

interface Series {
  metric: "istio_requests_total" | "istio_tcp_connections_opened_total";
  source: string;
  destination: string;
  mtls: boolean;
  /** Increase per minute. */
  perMinute: number;
}

// One hour of traffic, a sample a minute, ending a minute ago.
const SERIES: Series[] = [
  {
    metric: "istio_requests_total",
    source: "istio-ingress/istio-ingress",
    destination: "shop/web",
    mtls: true,
    perMinute: 20,
  },
  { metric: "istio_requests_total", source: "shop/web", destination: "shop/api", mtls: true, perMinute: 20 },
  { metric: "istio_requests_total", source: "shop/api", destination: "billing/invoice", mtls: true, perMinute: 10 },
  // The one plaintext client: a reporter without a sidecar, calling invoice over HTTP and over raw TCP.
  {
    metric: "istio_requests_total",
    source: "legacy/reporter",
    destination: "billing/invoice",
    mtls: false,
    perMinute: 2,
  },
  {
    metric: "istio_tcp_connections_opened_total",
    source: "legacy/reporter",
    destination: "billing/invoice",
    mtls: false,
    perMinute: 1,
  },
  {
    metric: "istio_tcp_connections_opened_total",
    source: "shop/api",
    destination: "data/db",
    mtls: true,
    perMinute: 5,
  },
  // Too quiet to judge: 3 requests in the hour.
  { metric: "istio_requests_total", source: "shop/api", destination: "quiet/audit", mtls: true, perMinute: 0.05 },
];

function openMetrics(now: number): string {
  const out: string[] = [];
  for (const family of ["istio_requests", "istio_tcp_connections_opened"]) {
    out.push(`# TYPE ${family} counter`);
    for (const s of SERIES.filter((x) => x.metric === `${family}_total`)) {
      const [sns, swl] = s.source.split("/");
      const [dns, dwl] = s.destination.split("/");
      const labels =
        `reporter="destination",source_workload="${swl}",source_workload_namespace="${sns}",` +
        `destination_workload="${dwl}",destination_workload_namespace="${dns}",` +
        `connection_security_policy="${s.mtls ? "mutual_tls" : "none"}"`;
      for (let i = 0; i <= 60; i++) {
        const t = now - 60 - (60 - i) * 60;
        out.push(`${s.metric}{${labels}} ${(s.perMinute * i).toFixed(2)} ${t}`);
      }
    }
  }
  out.push("# EOF");
  return `${out.join("\n")}\n`;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = http.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until Prometheus answers ready; Jest's hang guard is the only limit (no fixed sleep or timeout). */
async function ready(url: string, prom: ChildProcess): Promise<void> {
  for (;;) {
    if (prom.exitCode !== null) throw new Error(`prometheus exited with ${prom.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(url, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeWithTools(["promtool", "prometheus"], "the mTLS compatibility check against a real Prometheus", () => {
  let prometheus: ChildProcess | undefined;
  let apiServer: http.Server | undefined;
  let promUrl = "";
  let apiUrl = "";

  beforeAll(async () => {
    const dir = tempDir("mtls-check-");
    const data = path.join(dir, "data");
    fs.writeFileSync(path.join(dir, "series.om"), openMetrics(Math.floor(Date.now() / 1000)));
    const blocks = await runTool("promtool", ["tsdb", "create-blocks-from", "openmetrics", "series.om", data], dir);
    if (blocks.code !== 0) throw new Error(`promtool failed: ${blocks.stderr}`);
    fs.writeFileSync(path.join(dir, "prometheus.yml"), "global: {}\n");
    const port = await freePort();
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.route-prefix=${PREFIX}`,
      ],
      { stdio: "ignore" },
    );
    promUrl = `http://127.0.0.1:${port}${PREFIX}`;
    await ready(`${promUrl}/-/ready`, prometheus);

    apiServer = http.createServer((req, res) => {
      const url = req.url ?? "";
      const podsOf = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url);
      let body: unknown;
      if (url === "/api/v1/namespaces") {
        body = {
          items: Object.entries(cluster.namespaces).map(([name, labels]) => ({ metadata: { name, labels } })),
        };
      } else if (podsOf) {
        body = { items: cluster.pods[podsOf[1] as string] ?? [] };
      }
      res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(body ?? { message: "not found" }));
    });
    await new Promise<void>((resolve) => apiServer?.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
      prometheus.kill("SIGTERM");
      await exited;
    }
    await new Promise((resolve) => apiServer?.close(resolve));
  });

  beforeEach(() => {
    cluster.namespaces = {
      shop: { "istio.io/rev": "1-23-4" },
      billing: { "istio.io/rev": "1-23-4" },
      quiet: { "istio.io/rev": "1-23-4" },
      "kube-system": {},
    };
    cluster.pods = {
      shop: [pod("web", true), pod("web", true, 1), pod("api", true)],
      billing: [pod("invoice", true)],
      quiet: [pod("audit", true)],
      "kube-system": [pod("coredns", false)],
    };
  });

  function check(
    scope: string,
    allowlist: { workload: string; reason: string }[] = [],
    env: Record<string, string> = {},
  ): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [SCRIPT],
        {
          env: {
            PATH: process.env.PATH,
            PROMETHEUS_URL: promUrl,
            MTLS_SCOPE: scope,
            MTLS_WINDOW: "1h",
            MTLS_MIN_REQUESTS: "100",
            MTLS_ALLOWLIST: JSON.stringify(allowlist),
            KUBE_API_URL: apiUrl,
            KUBE_TOKEN_FILE: "/nonexistent/token",
            KUBE_CA_FILE: "/nonexistent/ca.crt",
            ...env,
          },
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  test("passes a clean mesh: every request mutual TLS, every pod with a sidecar, enough traffic", async () => {
    const run = await check("shop");
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("namespaces [shop]");
    expect(run.stdout).toMatch(/^PASSED$/m);
    expect(run.code).toBe(0);
  });

  test("fails on plaintext from one client, naming the source -> destination pair for HTTP and TCP", async () => {
    const run = await check("billing");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/legacy\/reporter -> billing\/invoice: 120 plaintext requests/);
    expect(run.stdout).toMatch(/legacy\/reporter -> billing\/invoice: 60 plaintext TCP connections/);
    expect(run.stdout).not.toContain("shop/api -> billing/invoice");
    expect(run.stdout).toMatch(/^FAILED/m);
  });

  test("passes when the plaintext client is allowlisted, and lists it with its reason", async () => {
    const run = await check("billing", [{ workload: "legacy/reporter", reason: "moves into the mesh in Q3" }]);
    expect(run.stdout).toMatch(
      /Accepted by the allowlist:\n(.*\n)*.*legacy\/reporter -> billing\/invoice.*moves into the mesh in Q3/,
    );
    expect(run.code).toBe(0);
  });

  test("fails on a pod without a sidecar in scope, naming the pod and its workload", async () => {
    cluster.pods.shop = [...(cluster.pods.shop ?? []), pod("cron", false)];
    const run = await check("shop");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Pods without a sidecar.*\n {2}- shop\/cron-5d8f7c9b4-x0 \(workload cron\)/);
  });

  test("fails a workload too quiet to judge: silence is not evidence", async () => {
    const run = await check("quiet");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/quiet\/audit: 3 inbound requests and connections in 1h, fewer than 100/);
  });

  test('reads "*" as every namespace labelled for injection, and leaves the others alone', async () => {
    const run = await check("*", [
      { workload: "legacy/reporter", reason: "moves into the mesh in Q3" },
      { workload: "quiet/*", reason: "batch only" },
    ]);
    expect(run.stdout).toContain("namespaces [billing, quiet, shop]");
    expect(run.stdout).not.toContain("coredns");
    expect(run.code).toBe(0);
  });

  test("counts TCP connections as inbound traffic of a TCP-only workload", async () => {
    cluster.namespaces = { data: { "istio.io/rev": "1-23-4" } };
    cluster.pods = { data: [pod("db", true)] };
    const run = await check("*");
    expect(run.stdout).toMatch(/^PASSED$/m);
    expect(run.code).toBe(0);
  });

  test("exits 2, saying why, when the API server refuses", async () => {
    const refused = await check("shop", [], { KUBE_API_URL: `${apiUrl}/missing` });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/could not run: GET .*\/missing\/api\/v1\/namespaces\/shop\/pods: HTTP 404/);
  });
});
