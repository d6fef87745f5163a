// npm run bench [-- --runs N] [-- --only name,name]
// For the prod and dev stacks and for synthetic stacks of 50 and 500 application services on each (on prod: a service
// graph with Sidecars; on dev: the same, each service also with a traffic preset and a delegated public route), prints
// the plan's wall time and peak memory next to a floor measured in the same run (the same resources, with the same
// inputs, registered bare under the same mock runtime), the ratios, and the time per service. Each figure is the median
// of N runs in fresh processes. The plan's time is also split into phases: the program declaring its resources (its
// function's wall time), the registrations being answered after it, and the garbage collector's pauses within both
// (beside the floor's), per service from 50 to 500, with the CPU time per service beside the wall time.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import YAML from "yaml";
import type { Measurement } from "./worker";

const ROOT = path.resolve(__dirname, "..", "..");
const TARGET_RATIO = 1.5;
const run = promisify(execFile);

interface Scenario {
  name: string;
  stack: string;
  stackFile: string;
  services: number;
  /** Scenarios of one family share a shape and differ in size; time per service is compared within a family. */
  family: Family;
}

type Family = "graph" | "traffic";

const FAMILIES: Record<Family, { base: string; label: string }> = {
  graph: { base: "prod", label: "graph with callers, Sidecars on" },
  traffic: { base: "dev", label: "graph, Sidecars, traffic preset and delegated route per service" },
};

/**
 * A synthetic stack: prod's configuration with a service graph of N application services, each with its own host (one
 * VirtualService), its own enrolled namespace (one namespace patch) and, with Sidecars on, that namespace's Sidecar, so
 * the plan grows by three resources per service. Each service is called by the one before it and every tenth calls an
 * external host, so every Sidecar's egress is derived from the graph.
 */
function syntheticStack(dir: string, services: number): string {
  const prod = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const ids = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, "0")}`);
  // prod's traffic section names prod's services and hosts, which this stack replaces; the traffic family covers it.
  const { "aks-mesh:traffic": _traffic, ...rest } = prod.config;
  const config = {
    ...rest,
    "aks-mesh:ingress": {
      tlsSecrets: {
        "apps-buildingbite-com-tls": ["istio-ingress"],
        "buildingbite-com-tls": ["istio-ingress"],
      },
      hosts: ids.map((id) => ({
        host: `${id}.apps.buildingbite.com`,
        tls: { credentialName: "apps-buildingbite-com-tls" },
        routes: [{ prefix: "/", service: id }],
      })),
    },
    "aks-mesh:services": Object.fromEntries(
      ids.map((id, i) => [
        id,
        {
          namespace: id,
          ports: [{ port: 8080, protocol: "http" }],
          callers: { services: i > 0 ? [ids[i - 1]] : [] },
          external: i % 10 === 0 ? [{ host: `${id}.partner.example.com` }] : [],
        },
      ]),
    ),
    "aks-mesh:meshNamespaces": ids.map((id) => ({ name: id })),
    "aks-mesh:sidecars": { enabled: true },
  };
  const file = path.join(dir, `Pulumi.synthetic-${services}.yaml`);
  fs.writeFileSync(file, YAML.stringify({ config }));
  return file;
}

/**
 * A synthetic traffic stack: dev's configuration (its services, hosts, presets and security stay) plus N application
 * services of the graph stack's shape, each with its own host whose one route is delegated (`delegate: true`: the
 * host's VirtualService hands "/" to the service's own VirtualService in its namespace) and a traffic policy from dev's
 * preset `default` (one DestinationRule; the preset's timeout and retries land on the delegate route). Every tenth
 * service overrides a preset field, so the preset-and-override merge is on the path too.
 */
function trafficStack(dir: string, services: number): string {
  const dev = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const base = dev.config as {
    "aks-mesh:ingress": { hosts: unknown[]; tlsSecrets?: Record<string, string[]> };
    "aks-mesh:services": Record<string, unknown>;
    "aks-mesh:meshNamespaces": unknown[];
    "aks-mesh:traffic": { presets: Record<string, unknown>; services: Record<string, unknown> };
  };
  const preset = "default";
  if (!base["aks-mesh:traffic"].presets[preset])
    throw new Error(`Pulumi.dev.yaml defines no traffic preset "${preset}"`);
  const ids = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(4, "0")}`);
  const config = {
    ...dev.config,
    "aks-mesh:ingress": {
      ...base["aks-mesh:ingress"],
      tlsSecrets: { ...base["aks-mesh:ingress"].tlsSecrets, "apps-dev-buildingbite-com-tls": ["istio-ingress"] },
      hosts: [
        ...base["aks-mesh:ingress"].hosts,
        ...ids.map((id) => ({
          host: `${id}.apps.dev.buildingbite.com`,
          tls: { credentialName: "apps-dev-buildingbite-com-tls" },
          routes: [{ prefix: "/", service: id, delegate: true }],
        })),
      ],
    },
    "aks-mesh:services": {
      ...base["aks-mesh:services"],
      ...Object.fromEntries(
        ids.map((id, i) => [
          id,
          {
            namespace: id,
            ports: [{ port: 8080, protocol: "http" }],
            callers: { services: i > 0 ? [ids[i - 1]] : [] },
            external: i % 10 === 0 ? [{ host: `${id}.partner.example.com` }] : [],
          },
        ]),
      ),
    },
    "aks-mesh:meshNamespaces": [...base["aks-mesh:meshNamespaces"], ...ids.map((id) => ({ name: id }))],
    "aks-mesh:traffic": {
      ...base["aks-mesh:traffic"],
      services: {
        ...base["aks-mesh:traffic"].services,
        ...Object.fromEntries(
          ids.map((id, i) => [id, i % 10 === 0 ? { preset, outlierDetection: { interval: "5s" } } : { preset }]),
        ),
      },
    },
  };
  const file = path.join(dir, `Pulumi.traffic-${services}.yaml`);
  fs.writeFileSync(file, YAML.stringify({ config }));
  return file;
}

async function worker(args: string[]): Promise<Measurement> {
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  const { stdout } = await run(
    process.execPath,
    ["--expose-gc", tsNode, "--transpile-only", path.join(__dirname, "worker.ts"), ...args],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Measurement;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<number> {
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 3) : 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-mesh-bench-"));
  try {
    const onlyArg = process.argv.indexOf("--only");
    const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? "").split(",")) : undefined;
    const all: Scenario[] = [
      { name: "prod", stack: "prod", stackFile: path.join(ROOT, "Pulumi.prod.yaml"), services: 0, family: "graph" },
      { name: "synthetic-50", stack: "prod", stackFile: syntheticStack(dir, 50), services: 50, family: "graph" },
      { name: "synthetic-500", stack: "prod", stackFile: syntheticStack(dir, 500), services: 500, family: "graph" },
      { name: "dev", stack: "dev", stackFile: path.join(ROOT, "Pulumi.dev.yaml"), services: 0, family: "traffic" },
      { name: "traffic-50", stack: "dev", stackFile: trafficStack(dir, 50), services: 50, family: "traffic" },
      { name: "traffic-500", stack: "dev", stackFile: trafficStack(dir, 500), services: 500, family: "traffic" },
    ];
    const scenarios = all.filter((s) => !only || only.has(s.name));
    console.log(
      `aks-mesh bench: median of ${runs} runs per figure, each in a fresh process (${os.cpus().length} cores)\n`,
    );
    const header = [
      "scenario",
      "resources",
      "plan ms",
      "floor ms",
      "time ratio",
      "plan peak MiB",
      "floor peak MiB",
      "mem ratio",
      "ms/service",
      "floor ms/service",
      "declare ms",
      "register ms",
      "plan GC ms",
      "floor GC ms",
    ];
    const rows: string[][] = [];
    const perService: Record<string, number> = {};
    const floorPerService: Record<string, number> = {};
    const planMsOf: Record<string, number> = {};
    /** Per family and size: the plan's time per service in each phase, and the collector's share of it. */
    const phasesPerService: Record<
      string,
      { declare: number; register: number; gc: number; floorGc: number; cpu: number; floorCpu: number }
    > = {};
    let worst = 0;
    for (const s of scenarios) {
      const plans: Measurement[] = [];
      const floors: Measurement[] = [];
      for (let i = 0; i < runs; i++) {
        // Alternate program and floor so drift on a shared machine hits both alike.
        const p = await worker(["program", s.stackFile, s.stack]);
        plans.push(p);
        floors.push(await worker(["floor", s.stackFile, s.stack]));
      }
      const planMs = median(plans.map((m) => m.ms));
      const floorMs = median(floors.map((m) => m.ms));
      const planMb = median(plans.map((m) => m.peakMb));
      const floorMb = median(floors.map((m) => m.peakMb));
      const declareMs = median(plans.map((m) => m.phases?.declareMs ?? 0));
      const registerMs = median(plans.map((m) => m.phases?.registerMs ?? 0));
      const planGcMs = median(plans.map((m) => m.gcMs));
      const floorGcMs = median(floors.map((m) => m.gcMs));
      const planCpuMs = median(plans.map((m) => m.cpuMs));
      const floorCpuMs = median(floors.map((m) => m.cpuMs));
      const timeRatio = planMs / floorMs;
      const memRatio = planMb / floorMb;
      worst = Math.max(worst, timeRatio, memRatio);
      planMsOf[s.name] = planMs;
      if (s.services > 0) {
        perService[`${s.family}-${s.services}`] = planMs / s.services;
        floorPerService[`${s.family}-${s.services}`] = floorMs / s.services;
        phasesPerService[`${s.family}-${s.services}`] = {
          declare: declareMs / s.services,
          register: registerMs / s.services,
          gc: planGcMs / s.services,
          floorGc: floorGcMs / s.services,
          cpu: planCpuMs / s.services,
          floorCpu: floorCpuMs / s.services,
        };
      }
      rows.push([
        s.name,
        String(plans[0]?.resources ?? 0),
        planMs.toFixed(0),
        floorMs.toFixed(0),
        timeRatio.toFixed(2),
        planMb.toFixed(0),
        floorMb.toFixed(0),
        memRatio.toFixed(2),
        s.services > 0 ? (planMs / s.services).toFixed(2) : "-",
        s.services > 0 ? (floorMs / s.services).toFixed(2) : "-",
        declareMs.toFixed(0),
        registerMs.toFixed(0),
        planGcMs.toFixed(0),
        floorGcMs.toFixed(0),
      ]);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    // Time per service is the plan's time over its services (the base stack's own work included, as it is in a real
    // stack); the added time per service, over the base stack's plan, is printed beside it.
    let flat = true;
    for (const [family, { base, label }] of Object.entries(FAMILIES)) {
      const at = (n: number) => perService[`${family}-${n}`];
      const small = at(50);
      const large = at(500);
      if (small === undefined || large === undefined) continue;
      const growth = large / small;
      flat = flat && growth <= 1.5;
      const added = (n: number) => {
        const b = planMsOf[base];
        const p = planMsOf[`${family === "graph" ? "synthetic" : family}-${n}`];
        return b === undefined || p === undefined ? "" : `, ${((p - b) / n).toFixed(2)} ms added over ${base}`;
      };
      const describe = (n: number) =>
        `${at(n)?.toFixed(2)} ms at ${n} (floor ${floorPerService[`${family}-${n}`]?.toFixed(2)} ms${added(n)})`;
      console.log(
        `\ntime per service (${label}): ${describe(50)}, ${describe(500)}; ` +
          `500 vs 50: x${growth.toFixed(2)} (flat is <= x1.5)`,
      );
      // The same time per service in phases (medians each, so they need not add up to the plan's median): declaring
      // the resources, answering their registrations, and the collector's pauses within both.
      const p50 = phasesPerService[`${family}-50`];
      const p500 = phasesPerService[`${family}-500`];
      if (p50 && p500) {
        const phase = (name: string, a: number, b: number) =>
          `${name} ${a.toFixed(2)} -> ${b.toFixed(2)} ms (x${(b / a).toFixed(2)})`;
        console.log(
          `  per service, 50 -> 500: ${phase("declare", p50.declare, p500.declare)}, ` +
            `${phase("register", p50.register, p500.register)}; of these, ${phase("GC", p50.gc, p500.gc)} ` +
            `(floor's GC ${p50.floorGc.toFixed(2)} -> ${p500.floorGc.toFixed(2)} ms)`,
        );
        console.log(
          `  CPU time per service (all threads; little affected by other load): ` +
            `${phase("plan", p50.cpu, p500.cpu)}, ${phase("floor", p50.floorCpu, p500.floorCpu)}`,
        );
      }
    }
    console.log(`worst ratio to the floor: ${worst.toFixed(2)} (target <= ${TARGET_RATIO})`);
    const ok = worst <= TARGET_RATIO && flat;
    console.log(ok ? "within target" : "ABOVE TARGET");
    return ok ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
