// Starts a Node.js policy pack the way the Pulumi CLI does and talks to it over the Analyzer gRPC protocol.
// pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs (RunPlugin, kind=analyzer): the CLI runs
// `node <@pulumi/pulumi/cmd/run-policy-pack resolved from the pack> <engine address> <pack dir>` with the pack folder as
// working directory and PULUMI_NODEJS_{ORGANIZATION,PROJECT,STACK,DRY_RUN}, PULUMI_CONFIG in the environment; the pack
// prints its gRPC port on stdout. The engine address is the CLI's own gRPC server (the Engine service: Log and a few
// more); here a loopback fake answers it. Everything listens on 127.0.0.1 only.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import YAML from "yaml";
import { endWithThisProcess } from "./children";
import type { AnalyzerInfo, EnforcementLevel, PolicyConfigEntry, PolicyInfo, ReconciledConfig } from "./config";
import { MAX_ENVIRONMENT_STRING } from "../../config/size";

/** The policy pack could not be run: the message says what failed (start, protocol, crash, timeout). */
export class PolicyRunError extends Error {}

/** The pack's PulumiPolicy.yaml, as far as the CLI reads it. */
export interface PackProject {
  dir: string;
  runtime: string;
  version?: string;
  description?: string;
}

export function readPackProject(dir: string): PackProject {
  const file = path.join(dir, "PulumiPolicy.yaml");
  if (!fs.existsSync(file)) throw new PolicyRunError(`no policy pack at ${dir} (PulumiPolicy.yaml is missing)`);
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new PolicyRunError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const project = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  const runtime = project.runtime;
  const name = typeof runtime === "string" ? runtime : ((runtime as { name?: unknown } | undefined)?.name ?? "");
  if (name !== "nodejs") {
    throw new PolicyRunError(
      `${file}: runtime ${JSON.stringify(name)}; the offline plan runs nodejs policy packs only`,
    );
  }
  return {
    dir,
    runtime: name,
    ...(typeof project.version === "string" ? { version: project.version } : {}),
    ...(typeof project.description === "string" ? { description: project.description } : {}),
  };
}

/** A message the pack logged through the Engine service. */
export interface EngineLog {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

/** The CLI's Engine gRPC service, as far as a policy pack can call it, on 127.0.0.1. */
export class FakeEngine {
  readonly logs: EngineLog[] = [];
  private rootResource = "";
  private readonly server = new grpc.Server();
  private port = 0;

  private constructor() {
    const severities = ["debug", "info", "warning", "error"] as const;
    const impl: enginerpc.IEngineServer = {
      log: (call, callback) => {
        this.logs.push({
          severity: severities[call.request.getSeverity()] ?? "info",
          message: call.request.getMessage(),
          urn: call.request.getUrn(),
        });
        callback(null, new emptyproto.Empty());
      },
      getRootResource: (_call, callback) => {
        const res = new engineproto.GetRootResourceResponse();
        res.setUrn(this.rootResource);
        callback(null, res);
      },
      setRootResource: (call, callback) => {
        this.rootResource = call.request.getUrn();
        callback(null, new engineproto.SetRootResourceResponse());
      },
      startDebugging: (_call, callback) => {
        callback({ code: grpc.status.UNIMPLEMENTED, details: "the offline plan cannot attach a debugger" });
      },
      requirePulumiVersion: (_call, callback) => {
        callback(null, new engineproto.RequirePulumiVersionResponse());
      },
    };
    this.server.addService(enginerpc.EngineService, impl);
  }

  static async start(): Promise<FakeEngine> {
    const engine = new FakeEngine();
    engine.port = await new Promise<number>((resolve, reject) =>
      engine.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    return engine;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

export interface PackStartOptions {
  pack: PackProject;
  engineAddress: string;
  /** Extra environment (PULUMI_NODEJS_*, PULUMI_CONFIG) on top of this process's. */
  env: Record<string, string>;
  /** How long the pack may take to print its port. */
  startTimeoutMs: number;
  /** How long one RPC may take. */
  rpcTimeoutMs: number;
}

const ENFORCEMENT: Record<number, EnforcementLevel> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerproto.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerproto.EnforcementLevel.REMEDIATE]: "remediate",
  [analyzerproto.EnforcementLevel.DISABLED]: "disabled",
};
const ENFORCEMENT_PROTO: Record<EnforcementLevel, analyzerproto.EnforcementLevel> = {
  advisory: analyzerproto.EnforcementLevel.ADVISORY,
  mandatory: analyzerproto.EnforcementLevel.MANDATORY,
  remediate: analyzerproto.EnforcementLevel.REMEDIATE,
  disabled: analyzerproto.EnforcementLevel.DISABLED,
};

export function enforcementLevel(level: analyzerproto.EnforcementLevel): EnforcementLevel {
  const l = ENFORCEMENT[level];
  if (!l) throw new PolicyRunError(`the policy pack answered with an unknown enforcement level ${level}`);
  return l;
}

const TAIL_LINES = 20;

/**
 * Linux refuses to start a process when one "NAME=value" string of its environment (or one argument) reaches 32
 * pages: MAX_ARG_STRLEN, 128 KiB with 4 KiB pages, counting the terminating NUL (include/uapi/linux/binfmts.h); spawn
 * fails with E2BIG. Other systems limit only the total (ARG_MAX).
 */
export const LINUX_MAX_ARG_STRLEN = MAX_ENVIRONMENT_STRING;

/**
 * The entries of `env` Linux would refuse, with their size in bytes as execve counts them. The CLI passes the stack's
 * whole config to the pack as one variable, PULUMI_CONFIG (pulumi/pulumi sdk/go/common/resource/plugin/
 * analyzer_plugin.go constructEnv), so a large enough stack file cannot start a policy pack under `pulumi preview`
 * either.
 */
export function oversizedEnvironment(
  env: Record<string, string>,
  platform: NodeJS.Platform = process.platform,
): { name: string; bytes: number }[] {
  if (platform !== "linux") return [];
  return Object.entries(env)
    .map(([name, value]) => ({ name, bytes: Buffer.byteLength(`${name}=${value}`) + 1 }))
    .filter((e) => e.bytes > LINUX_MAX_ARG_STRLEN);
}

/** A running policy pack process and a gRPC client to it. */
export class PolicyPackProcess {
  /** Lines the pack wrote besides its port (stdout and stderr), in order. */
  readonly output: string[] = [];
  private exitInfo: string | undefined;
  private readonly exited: Promise<never>;
  private client: analyzerrpc.AnalyzerClient | undefined;
  private rpcTimeoutMs: number;

  private constructor(
    private readonly child: ChildProcess,
    private readonly opts: PackStartOptions,
  ) {
    this.rpcTimeoutMs = opts.rpcTimeoutMs;
    this.exited = new Promise<never>((_, reject) => {
      // "close", not "exit": by then stdout and stderr are drained, so the error carries the pack's last words.
      child.once("close", (code, signal) => {
        this.exitInfo = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new PolicyRunError(`the policy pack process ${this.exitInfo}${this.tail()}`));
      });
    });
    this.exited.catch(() => undefined);
  }

  private tail(): string {
    const lines = this.output.slice(-TAIL_LINES);
    return lines.length > 0 ? `; its last output:\n    ${lines.join("\n    ")}` : "";
  }

  /** The deadline of each call from now on (start-up and configuration may need longer than the analysis). */
  setRpcTimeout(ms: number): void {
    this.rpcTimeoutMs = ms;
  }

  /** Spawns the pack and waits for its port. */
  static async start(opts: PackStartOptions): Promise<PolicyPackProcess> {
    let runner: string;
    try {
      runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [opts.pack.dir] });
    } catch {
      throw new PolicyRunError(
        `it looks like the policy pack's dependencies are not installed; try running npm install in ${opts.pack.dir}`,
      );
    }
    const [oversized] = oversizedEnvironment(opts.env);
    if (oversized) {
      const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;
      throw new PolicyRunError(
        `the pack cannot start: its environment variable ${oversized.name} would be ${kib(oversized.bytes)}` +
          `${oversized.name === "PULUMI_CONFIG" ? " (the stack's config as JSON)" : ""}, and Linux refuses one ` +
          `above ${kib(LINUX_MAX_ARG_STRLEN)} (MAX_ARG_STRLEN). pulumi preview --policy-pack passes the config the ` +
          `same way and would fail too: make the stack file smaller (presets instead of repeated per-service ` +
          `settings) or split the stack.`,
      );
    }
    const child = spawn(process.execPath, [runner, opts.engineAddress, "."], {
      cwd: opts.pack.dir,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    endWithThisProcess(child);
    const pack = new PolicyPackProcess(child, opts);
    let port: number;
    try {
      port = await pack.readPort();
    } catch (err) {
      await pack.stop();
      throw err;
    }
    pack.client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    return pack;
  }

  private readPort(): Promise<number> {
    const child = this.child;
    const lines = (stream: NodeJS.ReadableStream | null, onLine: (line: string) => void) => {
      let buffered = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          onLine(buffered.slice(0, nl).replace(/\r$/, ""));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf("\n");
        }
      });
      stream?.on("end", () => {
        if (buffered) onLine(buffered);
      });
    };
    return new Promise<number>((resolve, reject) => {
      let first = true;
      const timer = setTimeout(() => {
        reject(
          new PolicyRunError(
            `the policy pack did not print its port within ${this.opts.startTimeoutMs / 1000} s${this.tail()}`,
          ),
        );
      }, this.opts.startTimeoutMs);
      const settle = () => clearTimeout(timer);
      lines(child.stdout, (line) => {
        if (!first) {
          this.output.push(line);
          return;
        }
        first = false;
        settle();
        const text = line.trim();
        // The CLI reads the port with Fscanf("%d\n"): anything else on the first line is a broken pack.
        if (/^\d{1,5}$/.test(text) && Number(text) > 0 && Number(text) < 65536) resolve(Number(text));
        else
          reject(
            new PolicyRunError(
              `the policy pack printed ${JSON.stringify(text.slice(0, 200))} where its port number belongs`,
            ),
          );
      });
      lines(child.stderr, (line) => this.output.push(line));
      this.exited.catch((err: unknown) => {
        settle();
        reject(
          err instanceof PolicyRunError
            ? new PolicyRunError(err.message.replace(/^(the policy pack process [^;]*)/, "$1 before serving"))
            : new PolicyRunError(String(err)),
        );
      });
      child.once("error", (err) => {
        settle();
        reject(new PolicyRunError(`cannot start the policy pack: ${err.message}`));
      });
    });
  }

  /** One unary call with a deadline, failing fast (with the pack's last output) when the process dies meanwhile. */
  private call<Res>(
    method: string,
    what: string,
    invoke: (
      client: analyzerrpc.AnalyzerClient,
      metadata: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      cb: (err: grpc.ServiceError | null, res: Res) => void,
    ) => grpc.ClientUnaryCall,
  ): Promise<Res> {
    const client = this.client;
    if (!client) return Promise.reject(new PolicyRunError("the policy pack is not started"));
    const deadline = Date.now() + this.rpcTimeoutMs;
    const rpc = new Promise<Res>((resolve, reject) => {
      invoke(client, new grpc.Metadata(), { deadline }, (err, res) => {
        if (!err) return resolve(res);
        if (err.code === grpc.status.DEADLINE_EXCEEDED) {
          reject(
            new PolicyRunError(
              `the policy pack did not answer ${method}${what} within ${this.rpcTimeoutMs / 1000} s${this.tail()}`,
            ),
          );
        } else {
          reject(err);
        }
      });
    });
    return Promise.race([rpc, this.exited]).catch(async (err: unknown) => {
      if (err instanceof PolicyRunError) throw err;
      const e = err as grpc.ServiceError;
      if (e.code === grpc.status.UNIMPLEMENTED) throw err;
      // A dropped connection usually means the process is dying: give it a moment, so the error says how it ended.
      if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.INTERNAL) {
        await Promise.race([this.exited.catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      const detail = (e.details || e.message || String(err)).trim();
      const how = this.exitInfo
        ? `the policy pack process ${this.exitInfo} during ${method}${what}`
        : `${method}${what} failed: ${detail}`;
      throw new PolicyRunError(`${how}${this.tail()}`);
    });
  }

  /** Handshake: packs that predate it answer UNIMPLEMENTED, which the engine accepts. Returns whether it was served. */
  async handshake(engineAddress: string): Promise<boolean> {
    const req = new analyzerproto.AnalyzerHandshakeRequest();
    req.setEngineAddress(engineAddress);
    req.setRootDirectory(this.opts.pack.dir);
    req.setProgramDirectory(this.opts.pack.dir);
    try {
      await this.call("Handshake", "", (c, m, o, cb) => c.handshake(req, m, o, cb));
      return true;
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return false;
      throw err;
    }
  }

  async configureStack(opts: {
    stack: string;
    project: string;
    organization: string;
    dryRun: boolean;
    config: Record<string, string>;
    secretKeys: string[];
    tags: Record<string, string>;
  }): Promise<void> {
    const req = new analyzerproto.AnalyzerStackConfigureRequest();
    req.setStack(opts.stack);
    req.setProject(opts.project);
    req.setOrganization(opts.organization);
    req.setDryRun(opts.dryRun);
    req.setConfigSecretKeysList(opts.secretKeys);
    for (const [k, v] of Object.entries(opts.config)) req.getConfigMap().set(k, v);
    for (const [k, v] of Object.entries(opts.tags)) req.getTagsMap().set(k, v);
    try {
      await this.call("ConfigureStack", "", (c, m, o, cb) => c.configureStack(req, m, o, cb));
    } catch (err) {
      if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw err;
    }
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    const res = await this.call<analyzerproto.AnalyzerInfo>("GetAnalyzerInfo", "", (c, m, o, cb) =>
      c.getAnalyzerInfo(new emptyproto.Empty(), m, o, cb),
    );
    const kinds: Record<number, PolicyInfo["kind"]> = {
      [analyzerproto.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
      [analyzerproto.PolicyType.POLICY_TYPE_STACK]: "stack",
    };
    const policies = res.getPoliciesList().map((p): PolicyInfo => {
      const schema = p.getConfigschema();
      return {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: enforcementLevel(p.getEnforcementlevel()),
        kind: kinds[p.getPolicyType()] ?? "unknown",
        ...(schema
          ? {
              configSchema: {
                properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, Record<string, unknown>>,
                required: schema.getRequiredList(),
              },
            }
          : {}),
      };
    });
    const initialConfig: Record<string, PolicyConfigEntry> = {};
    res.getInitialconfigMap().forEach((c, name) => {
      const properties = (c.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>;
      initialConfig[name] = {
        enforcementLevel: enforcementLevel(c.getEnforcementlevel()),
        ...(Object.keys(properties).length > 0 ? { properties } : {}),
      };
    });
    return {
      name: res.getName(),
      // The engine prefers the version in PulumiPolicy.yaml over the pack's answer.
      version: this.opts.pack.version ?? res.getVersion(),
      supportsConfig: res.getSupportsconfig(),
      policies,
      initialConfig,
    };
  }

  async configure(config: Record<string, ReconciledConfig>): Promise<void> {
    // The engine skips Configure when there is nothing to configure.
    if (Object.keys(config).length === 0) return;
    const req = new analyzerproto.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const pc = new analyzerproto.PolicyConfig();
      pc.setEnforcementlevel(ENFORCEMENT_PROTO[c.enforcementLevel]);
      // Always a Struct, even empty: the Node.js pack reads getProperties().toJavaScript() unguarded.
      pc.setProperties(structproto.Struct.fromJavaScript(c.properties as Record<string, structproto.JavaScriptValue>));
      req.getPolicyconfigMap().set(name, pc);
    }
    await this.call("Configure", "", (c, m, o, cb) => c.configure(req, m, o, cb));
  }

  analyze(req: analyzerproto.AnalyzeRequest): Promise<analyzerproto.AnalyzeResponse> {
    return this.call("Analyze", ` of ${req.getUrn()}`, (c, m, o, cb) => c.analyze(req, m, o, cb));
  }

  async remediate(req: analyzerproto.AnalyzeRequest): Promise<analyzerproto.RemediateResponse | undefined> {
    try {
      return await this.call("Remediate", ` of ${req.getUrn()}`, (c, m, o, cb) => c.remediate(req, m, o, cb));
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return undefined;
      throw err;
    }
  }

  async analyzeStack(req: analyzerproto.AnalyzeStackRequest): Promise<analyzerproto.AnalyzeResponse | undefined> {
    try {
      return await this.call("AnalyzeStack", "", (c, m, o, cb) => c.analyzeStack(req, m, o, cb));
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return undefined;
      throw err;
    }
  }

  /** Closes the connection and ends the process: SIGTERM, then SIGKILL if it lingers. Safe to call twice. */
  async stop(graceMs = 1000): Promise<void> {
    this.client?.close();
    this.client = undefined;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
}
