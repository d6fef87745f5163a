// Stacks a team would really add plan green with nothing but their stack file: each shape below is written to a
// temporary directory and planned through the real CLI with --config, so no policy file, no extra config and no
// committed stack file is involved.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { planCli, ROOT, tempDir } from "../harness";

type StackConfig = Record<string, unknown>;

function prodConfig(): StackConfig {
  const prod = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: StackConfig };
  return prod.config;
}

const SHAPES: [string, (c: StackConfig) => void][] = [
  [
    "a copy of prod whose gateway runs in the namespace edge",
    (c) => {
      c["aks-mesh:ingressGateway"] = { ...(c["aks-mesh:ingressGateway"] as object), namespace: "edge" };
      // The certificate is where the new gateway reads it (the stack file says so; the runbook moves it there).
      const ingress = c["aks-mesh:ingress"] as Record<string, unknown>;
      c["aks-mesh:ingress"] = { ...ingress, tlsSecrets: { "buildingbite-com-tls": ["edge"] } };
    },
  ],
  [
    "a copy of prod on a new static IP instead of an adopted one",
    (c) => {
      const { adoptResourceId: _id, expectedAddress: _address, ...rest } = c["aks-mesh:staticIp"] as StackConfig;
      c["aks-mesh:staticIp"] = rest;
    },
  ],
  [
    "a copy of prod without observability",
    (c) => {
      delete c["aks-mesh:observability"];
      // Without Prometheus the mTLS check cannot be automated; prod stays PERMISSIVE, which needs no check.
      const security = c["aks-mesh:security"] as { mtls: StackConfig };
      delete security.mtls.check;
    },
  ],
  [
    "a copy of prod serving a dozen hosts",
    (c) => {
      // Prod's two hosts (its traffic settings name them) and ten more; the rest of the section (where the
      // certificate is) stays prod's.
      const ingress = c["aks-mesh:ingress"] as { hosts: unknown[] };
      c["aks-mesh:ingress"] = {
        ...ingress,
        hosts: [
          ...ingress.hosts,
          ...Array.from({ length: 10 }, (_, i) => ({
            host: `app${i + 1}.buildingbite.com`,
            tls: { credentialName: "buildingbite-com-tls" },
            routes: [{ prefix: "/", service: `app${i + 1}` }],
          })),
        ],
      };
      // Prod's services stay declared (its traffic policies name them); the new hosts route to ten more.
      c["aks-mesh:services"] = {
        ...(c["aks-mesh:services"] as object),
        ...Object.fromEntries(
          Array.from({ length: 10 }, (_, i) => [
            `app${i + 1}`,
            { namespace: i % 2 === 0 ? "web" : "api", ports: [{ port: 8080, protocol: "http" }] },
          ]),
        ),
      };
    },
  ],
];

// One plan at a time: each is CPU-bound.
describe.each(SHAPES)("%s", (_title, edit) => {
  test("plans with exit 0 from its stack file alone", async () => {
    const config = prodConfig();
    edit(config);
    const dir = tempDir("new-stack-");
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, YAML.stringify({ config }));
    const out = path.join(dir, "plan");
    const result = await planCli(["staging", "--config", file, "--out", out]);
    const policyFile = path.join(out, "policy.json");
    const violations = fs.existsSync(policyFile)
      ? (JSON.parse(fs.readFileSync(policyFile, "utf8")) as { policy: string; enforcementLevel: string; message: string }[])
      : [];
    // The mandatory violations, if any, are in the comparison so a failure says which policy and why.
    expect({
      code: result.code,
      stderr: result.stderr,
      mandatory: violations.filter((v) => v.enforcementLevel === "mandatory"),
    }).toEqual({ code: 0, stderr: "", mandatory: [] });
    expect(result.stdout).toContain("Policy levels: production (aks-mesh:environment), from policy/production.json");
  });
});
