// The pack as the Pulumi CLI runs it: started with @pulumi/pulumi's run-policy-pack from policy/ (ts-node, type-checked),
// asked over gRPC with the engine's own messages. Proves the headline rule and preview safety end to end, through the
// real deserialisation and unknown-value proxy of @pulumi/policy.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { MTLS_CHECK_COMPONENT_TYPE, MTLS_CHECK_LABEL, MTLS_CHECK_SCOPE_ANNOTATION } from "../../policy/contract";
import { allUnknown, type Fixture, gatewayDeployment, helmRelease, istio, kube, namespace, urnOf } from "./fixtures";

const ROOT = path.resolve(__dirname, "../..");

let pack: ChildProcess | undefined;
let client: AnalyzerClient;

/** Starts the pack the way the CLI does and resolves with the port it prints. */
function startPack(): Promise<number> {
  return new Promise((resolve, reject) => {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [path.join(ROOT, "policy")] });
    pack = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
      cwd: path.join(ROOT, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    pack.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    pack.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    pack.on("exit", (code) => reject(new Error(`the pack exited with ${String(code)}: ${err}`)));
  });
}

function options(f: Fixture): analyzer.AnalyzerResourceOptions {
  const o = new analyzer.AnalyzerResourceOptions();
  o.setProtect(f.protect ?? false);
  if (f.parent) o.setParent(f.parent);
  return o;
}

function stackResource(f: Fixture): analyzer.AnalyzerResource {
  const r = new analyzer.AnalyzerResource();
  r.setType(f.type);
  r.setUrn(urnOf(f));
  r.setName(f.name);
  r.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(f.props)) as Record<string, never>));
  r.setOptions(options(f));
  if (f.parent) r.setParent(f.parent);
  r.setDependenciesList(f.dependencies ?? []);
  return r;
}

interface Diagnostic {
  policy: string;
  message: string;
  level: analyzer.EnforcementLevel;
  urn: string;
}

const diagnostics = (res: analyzer.AnalyzeResponse): Diagnostic[] =>
  res.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    level: d.getEnforcementlevel(),
    urn: d.getUrn(),
  }));

function analyzeStack(fixtures: Fixture[]): Promise<Diagnostic[]> {
  const req = new analyzer.AnalyzeStackRequest();
  req.setResourcesList(fixtures.map(stackResource));
  return new Promise((resolve, reject) =>
    client.analyzeStack(req, (e, res) => (e ? reject(e) : resolve(diagnostics(res)))),
  );
}

function analyze(f: Fixture): Promise<Diagnostic[]> {
  const req = new analyzer.AnalyzeRequest();
  req.setType(f.type);
  req.setUrn(urnOf(f));
  req.setName(f.name);
  req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(f.props)) as Record<string, never>));
  req.setOptions(options(f));
  return new Promise((resolve, reject) => client.analyze(req, (e, res) => (e ? reject(e) : resolve(diagnostics(res)))));
}

const strictPa = (deps: string[] = []) =>
  istio("PeerAuthentication", "strict", { mtls: { mode: "STRICT" } }, { namespace: "web", dependencies: deps });

/** A plausible mesh with one resource of most kinds the pack looks at. */
const mesh: Fixture[] = [
  helmRelease("base"),
  helmRelease("istiod", {
    values: { global: { proxy: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } } } },
  }),
  namespace("web", { "istio.io/rev": "1-23-4" }),
  gatewayDeployment(),
  istio(
    "Gateway",
    "public",
    {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["web/app.example.com"] }],
    },
    { namespace: "istio-ingress" },
  ),
  istio(
    "VirtualService",
    "app",
    {
      hosts: ["app.example.com"],
      gateways: ["istio-ingress/public"],
      http: [{ route: [{ destination: { host: "web" } }] }],
    },
    { namespace: "web" },
  ),
  istio(
    "DestinationRule",
    "web",
    { host: "web", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    { namespace: "web" },
  ),
  istio("AuthorizationPolicy", "deny-all", {}, { namespace: "istio-system" }),
  istio("RequestAuthentication", "jwt", { jwtRules: [{ issuer: "https://id.example.com" }] }, { namespace: "web" }),
  strictPa(),
];

beforeAll(async () => {
  const port = await startPack();
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  if (pack?.pid) process.kill(pack.pid);
});

describe("the pack served as the CLI serves it", () => {
  it("reports a STRICT PeerAuthentication without a compatibility check, naming the check to add, as mandatory", async () => {
    const pa = strictPa();
    const found = (await analyzeStack([pa])).filter(
      (d) => d.policy === "peer-authentication-strict-requires-mtls-check",
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ level: analyzer.EnforcementLevel.MANDATORY, urn: urnOf(pa) });
    expect(found[0]?.message).toContain(`Add an ${MTLS_CHECK_COMPONENT_TYPE} whose scope covers "web"`);
  });

  it("accepts it once it depends on a check covering its namespace", async () => {
    const component: Fixture = { type: MTLS_CHECK_COMPONENT_TYPE, name: "mtls-web", props: {} };
    const record = kube(
      "v1",
      "ConfigMap",
      "mtls-web",
      { data: {} },
      {
        namespace: "istio-system",
        labels: { [MTLS_CHECK_LABEL]: "true" },
        annotations: { [MTLS_CHECK_SCOPE_ANNOTATION]: "web" },
        parent: urnOf(component),
      },
    );
    const found = (await analyzeStack([component, record, strictPa([urnOf(record)])])).filter(
      (d) => d.policy === "peer-authentication-strict-requires-mtls-check",
    );
    expect(found).toEqual([]);
  });

  it('never falls back to "can\'t run during preview" when every value is unknown', async () => {
    // With its values known, the same mesh is analysed: its STRICT PeerAuthentication has no check.
    expect((await analyzeStack(mesh)).map((d) => d.policy)).toContain("peer-authentication-strict-requires-mtls-check");
    const preview = mesh.map(allUnknown);
    const stack = await analyzeStack(preview);
    const perResource = (await Promise.all(preview.map(analyze))).flat();
    const all = [...stack, ...perResource];
    expect(all.filter((d) => /can't run .* during preview/.test(d.message))).toEqual([]);
    // Nothing here is decidable from kinds and API versions alone, so nothing is reported.
    expect(all.map((d) => d.policy)).toEqual([]);
  });
});
