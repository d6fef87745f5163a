// Changes that must be stopped before any resource exists: each is refused with a message naming the key and what to
// do instead. The baseline is a production stack shaped like Pulumi.prod.yaml, which passes; each case changes one
// thing.
import { parseConfig } from "../../config";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "prod" };
const ADOPT_ID =
  "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/pip-ingress";
const WEBHOOK = "https://hooks.slack.com/services/T0TEST000/B0TEST000/guardrails-test-value";

type Sections = Record<string, unknown>;

function production(): Sections {
  return {
    environment: "production",
    cluster: { resourceGroup: "rg-prod", name: "aks-prod" },
    staticIp: { adoptResourceId: ADOPT_ID, expectedAddress: "20.249.144.238" },
    istio: { version: "1.23.4", revision: "1-23-4" },
    ingressGateway: { autoscaling: { minReplicas: 2, maxReplicas: 6 }, podDisruptionBudget: { minAvailable: 1 } },
    ingress: {
      tlsSecrets: { "example-tls": ["istio-ingress"] },
      hosts: [
        {
          host: "www.example.com",
          tls: { credentialName: "example-tls" },
          routes: [{ prefix: "/", service: "web" }],
        },
      ],
    },
    services: { web: { namespace: "web", ports: [{ port: 80, protocol: "http" }] } },
    meshNamespaces: [{ name: "web" }],
    observability: { host: "monitoring.example.com", tls: { credentialName: "example-tls" } },
    slackWebhookUrl: WEBHOOK,
  };
}

function raw(sections: Sections): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sections)) {
    if (v !== undefined) out[k.includes(":") ? k : `aks-mesh:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

function problemsOf(sections: Sections): string[] {
  return configProblems(() => parseConfig(raw(sections), ctx));
}

/** The production baseline with one change. */
function changed(edit: (s: Sections) => void): Sections {
  const s = production();
  edit(s);
  return s;
}

const gateway = (s: Sections) => s.ingressGateway as Record<string, unknown>;

test("accepts the production baseline", () => {
  expect(problemsOf(production())).toEqual([]);
});

test("treats a stack without aks-mesh:environment as production", () => {
  const s = changed((c) => {
    delete c.environment;
    c.istio = { version: "1.23.4" };
  });
  expect(problemsOf(s)).toEqual([expect.stringMatching(/^aks-mesh:istio\.revision: a production stack pins/)]);
});

describe("refuses, with the key and what to do instead", () => {
  const cases: [string, (s: Sections) => void, RegExp][] = [
    [
      "istio.version changed under the pinned revision",
      (s) => {
        s.istio = { version: "1.24.6", revision: "1-23-4" };
      },
      /^aks-mesh:istio\.version: "1\.24\.6" is not the version of the running revision "1-23-4" \(aks-mesh:istio\.revision\).*Keep the version that revision runs; a new version is installed as a second revision beside it/,
    ],
    [
      "a production stack that does not pin its revision",
      (s) => {
        s.istio = { version: "1.23.4" };
      },
      /^aks-mesh:istio\.revision: a production stack pins the revision it runs .*set it to "1-23-4"/,
    ],
    [
      "a single gateway replica in production",
      (s) => {
        // A budget of 1 would also be refused with one replica (it could never be evicted): it goes too.
        s.ingressGateway = { autoscaling: { minReplicas: 1, maxReplicas: 6 } };
      },
      /^aks-mesh:ingressGateway\.(autoscaling\.minReplicas: is 1; a production gateway runs at least 2 replicas.*set 2 or more|podDisruptionBudget: is not set)/,
    ],
    [
      "no PodDisruptionBudget in production",
      (s) => {
        delete gateway(s).podDisruptionBudget;
      },
      /^aks-mesh:ingressGateway\.podDisruptionBudget: is not set; .*set podDisruptionBudget\.minAvailable to 1/,
    ],
    [
      "a public host without TLS in production",
      (s) => {
        const ingress = s.ingress as { hosts: Record<string, unknown>[] };
        delete (ingress.hosts[0] as Record<string, unknown>).tls;
      },
      /^aks-mesh:ingress\.hosts\[0\]\.tls: "www\.example\.com" would be served over plain HTTP; .*set tls\.credentialName/,
    ],
    [
      "the monitoring host without TLS in production",
      (s) => {
        s.observability = { host: "monitoring.example.com" };
      },
      /^aks-mesh:observability\.tls: the monitoring host would be served over plain HTTP.*set observability\.tls\.credentialName/,
    ],
    [
      "Grafana's anonymous viewer in production",
      (s) => {
        s.observability = { ...(s.observability as object), grafana: { anonymousViewer: true } };
      },
      /^aks-mesh:observability\.grafana\.anonymousViewer: is true; in production .*remove the key/,
    ],
    [
      "expectedAddress without adoptResourceId",
      (s) => {
        s.staticIp = { expectedAddress: "20.249.144.238" };
      },
      /^aks-mesh:staticIp\.expectedAddress: "20\.249\.144\.238" cannot be kept: without aks-mesh:staticIp\.adoptResourceId .*Azure picks its address/,
    ],
    [
      "a service in a namespace neither enrolled nor declared outside the mesh",
      (s) => {
        s.meshNamespaces = [];
      },
      /^aks-mesh:services\.web\.namespace: "web" is neither enrolled in the mesh \(aks-mesh:meshNamespaces\) nor declared outside it \(aks-mesh:outsideMeshNamespaces\)/,
    ],
    [
      "a key under a misspelt namespace, which would drop its whole section",
      (s) => {
        s["aks-mess:meshNamespaces"] = [{ name: "api" }];
      },
      /^aks-mess:meshNamespaces: unknown namespace "aks-mess"; did you mean aks-mesh:meshNamespaces\?/,
    ],
    [
      "a namespace listed both in and outside the mesh",
      (s) => {
        s.outsideMeshNamespaces = [{ name: "web", reason: "legacy" }];
      },
      /^aks-mesh:outsideMeshNamespaces\[0\]\.name: "web" is also enrolled in aks-mesh:meshNamespaces/,
    ],
  ];
  it.each(cases)("%s", (_title, edit, expected) => {
    const problems = problemsOf(changed(edit));
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(expected);
  });
});

describe("lets development stacks do what production refuses", () => {
  const cases: [string, (s: Sections) => void][] = [
    ["an unpinned revision", (s) => (s.istio = { version: "1.23.4" })],
    ["a single gateway replica without a PodDisruptionBudget", (s) => (s.ingressGateway = {})],
    [
      "a host without TLS",
      (s) => {
        const ingress = s.ingress as { hosts: Record<string, unknown>[] };
        delete (ingress.hosts[0] as Record<string, unknown>).tls;
      },
    ],
    [
      "Grafana's anonymous viewer",
      (s) => (s.observability = { host: "monitoring.example.com", grafana: { anonymousViewer: true } }),
    ],
  ];
  it.each(cases)("%s", (_title, edit) => {
    expect(
      problemsOf(
        changed((s) => {
          edit(s);
          s.environment = "development";
        }),
      ),
    ).toEqual([]);
  });
});

test("accepts a route to a namespace declared outside the mesh, with its reason", () => {
  const s = changed((c) => {
    c.meshNamespaces = [];
    c.outsideMeshNamespaces = [{ name: "web", reason: "a legacy app that cannot take a sidecar yet" }];
  });
  expect(problemsOf(s)).toEqual([]);
});

test("accepts a new static IP with no expected address", () => {
  expect(problemsOf(changed((s) => (s.staticIp = {})))).toEqual([]);
});

test("rejects an unknown environment", () => {
  expect(problemsOf(changed((s) => (s.environment = "staging")))).toEqual([
    'aks-mesh:environment: must be one of "production", "development" (got "staging")',
  ]);
});

test("leaves provider namespaces alone", () => {
  expect(problemsOf(changed((s) => (s["azure-native:location"] = "koreacentral")))).toEqual([]);
});
