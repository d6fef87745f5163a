import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../../config";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "prod" };
const CLUSTER = { resourceGroup: "rg-prod", name: "aks-prod" };

/**
 * Raw config as Pulumi hands it to the program: "aks-mesh:<key>" -> JSON text (plain text for strings). Development
 * unless a case says otherwise: these cases are about each key; the production rules have their own file.
 */
function raw(sections: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    environment: "development",
    cluster: CLUSTER,
    ...graphOf(sections),
    ...sections,
  })) {
    if (v !== undefined) out[k.includes(":") ? k : `aks-mesh:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * Every service the cases route to is declared in a namespace of its own name, with one http port 80, and enrolled,
 * unless a case sets services or meshNamespaces itself.
 */
function graphOf(sections: Record<string, unknown>): Record<string, unknown> {
  const hosts = (sections.ingress as { hosts?: { routes?: { service?: unknown }[] }[] } | undefined)?.hosts ?? [];
  const names = [...new Set(hosts.flatMap((h) => (h.routes ?? []).map((r) => r.service)))].filter(
    (n): n is string => typeof n === "string",
  );
  return {
    services: Object.fromEntries(names.map((n) => [n, { namespace: n, ports: [{ port: 80, protocol: "http" }] }])),
    meshNamespaces: names.map((name) => ({ name })),
  };
}

function problemsOf(sections: Record<string, unknown>): string[] {
  return configProblems(() => parseConfig(raw(sections), ctx));
}

const ADOPT_ID =
  "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/pip-ingress";

describe("rejects malformed configuration with a message naming the key and what was expected", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "an unknown top-level key, with a suggestion",
      { ingressGatway: {} },
      /^aks-mesh:ingressGatway: unknown key; did you mean aks-mesh:ingressGateway\?/,
    ],
    [
      "an unknown nested key, with a suggestion",
      { istio: { verison: "1.23.4" } },
      /^aks-mesh:istio\.verison: unknown key; did you mean "version"\?/,
    ],
    ["a missing required section", { cluster: undefined }, /^aks-mesh:cluster: is required \(expected an object\)/],
    [
      "a missing required key",
      { cluster: { name: "aks" } },
      /^aks-mesh:cluster\.resourceGroup: is required \(expected a string\)/,
    ],
    [
      "a section given as plain text",
      { istio: "1.23.4" },
      /^aks-mesh:istio: expected a YAML object or list, got the text "1\.23\.4"/,
    ],
    [
      "a wrong type",
      { ingressGateway: { autoscaling: { minReplicas: "two" } } },
      /^aks-mesh:ingressGateway\.autoscaling\.minReplicas: expected a number \(got "two"\)/,
    ],
    [
      "a fractional replica count",
      { ingressGateway: { autoscaling: { minReplicas: 1.5 } } },
      /^aks-mesh:ingressGateway\.autoscaling\.minReplicas: expected a whole number/,
    ],
    [
      "a bad version string",
      { istio: { version: "v1.23" } },
      /^aks-mesh:istio\.version: must be a version "MAJOR\.MINOR\.PATCH" such as "1\.23\.4" \(got "v1\.23"\)/,
    ],
    [
      "a version outside the compatibility table (and without the v1 Istio APIs)",
      { istio: { version: "1.21.6" } },
      /^aks-mesh:istio\.version: 1\.21\.6 is not in the compatibility table of Istio releases \(1\.23–1\.30/,
    ],
    [
      "an invalid IP address",
      { staticIp: { expectedAddress: "20.249.144.300" } },
      /^aks-mesh:staticIp\.expectedAddress: must be an IPv4 address such as "20\.249\.144\.238" \(got "20\.249\.144\.300"\)/,
    ],
    [
      "a malformed resource id to adopt",
      { staticIp: { adoptResourceId: "pip-ingress" } },
      /^aks-mesh:staticIp\.adoptResourceId: must be a public IP resource id: .* \(got "pip-ingress"\)$/,
    ],
    [
      "an adopted id that names another IP than staticIp.name",
      { staticIp: { adoptResourceId: ADOPT_ID, name: "pip-other" } },
      /^aks-mesh:staticIp\.name: is "pip-other" but adoptResourceId names "pip-ingress"/,
    ],
    [
      "an adopted id in another resource group than staticIp.resourceGroup",
      { staticIp: { adoptResourceId: ADOPT_ID, resourceGroup: "rg-other" } },
      /^aks-mesh:staticIp\.resourceGroup: is "rg-other" but adoptResourceId is in "rg-net"/,
    ],
    [
      "an availability zone that does not exist",
      { staticIp: { zones: ["4"] } },
      /^aks-mesh:staticIp\.zones\[0\]: must be one of "1", "2", "3" \(got "4"\)/,
    ],
    [
      "an upper-case host name",
      {
        ingress: {
          hosts: [{ host: "App.example.com", routes: [{ prefix: "/", service: "web" }] }],
        },
      },
      /^aks-mesh:ingress\.hosts\[0\]\.host: must be a lowercase fully qualified host name/,
    ],
    [
      "a host name with a scheme",
      {
        ingress: {
          hosts: [{ host: "https://example.com", routes: [{ prefix: "/", service: "web" }] }],
        },
      },
      /^aks-mesh:ingress\.hosts\[0\]\.host: must be a lowercase fully qualified host name/,
    ],
    [
      "a host listed twice",
      {
        ingress: {
          hosts: [1, 2].map(() => ({
            host: "a.example.com",
            routes: [{ prefix: "/", service: "web" }],
          })),
        },
      },
      /^aks-mesh:ingress\.hosts\[1\]\.host: "a\.example\.com" is listed twice/,
    ],
    [
      "a host without routes",
      { ingress: { hosts: [{ host: "a.example.com", routes: [] }] } },
      /^aks-mesh:ingress\.hosts\[0\]\.routes: must list at least one route/,
    ],
    [
      "a route path without a leading slash",
      {
        ingress: {
          hosts: [{ host: "a.example.com", routes: [{ prefix: "api", service: "api" }] }],
        },
      },
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\.prefix: must be a path starting with "\/"/,
    ],
    [
      "a port out of range",
      {
        ingress: {
          hosts: [{ host: "a.example.com", routes: [{ prefix: "/", service: "web", port: 70000 }] }],
        },
      },
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\.port: too big/,
    ],
    [
      "a malformed memory quantity",
      { istio: { proxy: { resources: { limits: { memory: "1GB" } } } } },
      /^aks-mesh:istio\.proxy\.resources\.limits\.memory: must be a Kubernetes quantity such as "100m", "128Mi" or "1Gi" \(got "1GB"\)/,
    ],
    [
      "a memory limit below its request",
      { istio: { proxy: { resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } } } },
      /^aks-mesh:istio\.proxy\.resources\.limits\.memory: limit 1Gi is lower than the request 2Gi/,
    ],
    [
      "a PodDisruptionBudget that would block node drains",
      { ingressGateway: { autoscaling: { minReplicas: 2 }, podDisruptionBudget: { minAvailable: 2 } } },
      /^aks-mesh:ingressGateway\.podDisruptionBudget\.minAvailable: must be lower than autoscaling\.minReplicas \(2\)/,
    ],
    [
      "autoscaling bounds upside down",
      { ingressGateway: { autoscaling: { minReplicas: 3, maxReplicas: 2 } } },
      /^aks-mesh:ingressGateway\.autoscaling\.maxReplicas: must be at least minReplicas/,
    ],
    [
      "an unknown outbound traffic policy",
      { istio: { outboundTrafficPolicy: "DENY" } },
      /^aks-mesh:istio\.outboundTrafficPolicy: must be one of "ALLOW_ANY", "REGISTRY_ONLY" \(got "DENY"\)/,
    ],
    [
      "create mode without its settings",
      { cluster: { ...CLUSTER, mode: "create" } },
      /^aks-mesh:cluster\.create: is required when mode is "create"/,
    ],
    [
      "a node pool beside a created cluster's own",
      {
        cluster: {
          ...CLUSTER,
          mode: "create",
          create: { location: "koreacentral", kubernetesVersion: "1.32" },
          nodePool: { vmSize: "Standard_D4s_v5", count: 3, maxPods: 110 },
        },
      },
      /^aks-mesh:cluster\.nodePool: is only valid when mode is "existing"/,
    ],
    [
      "a node pool VM size that is no Azure size",
      { cluster: { ...CLUSTER, nodePool: { vmSize: "D4s_v5", count: 3, maxPods: 110 } } },
      /^aks-mesh:cluster\.nodePool\.vmSize: must be an Azure VM size such as "Standard_D4s_v5"/,
    ],
    [
      "a network policy engine declared for a created cluster, whose Cilium dataplane fixes it",
      {
        cluster: {
          ...CLUSTER,
          mode: "create",
          create: { location: "koreacentral", kubernetesVersion: "1.32" },
          networkPolicy: "calico",
        },
      },
      /^aks-mesh:cluster\.networkPolicy: is only valid when mode is "existing"/,
    ],
    [
      "a network policy engine AKS does not have",
      { cluster: { ...CLUSTER, networkPolicy: "weave" } },
      /^aks-mesh:cluster\.networkPolicy: must be one of "none", "azure", "calico", "cilium"/,
    ],
    [
      "a default-deny in istiod's namespace when the ingress gateway runs there too",
      {
        ingressGateway: { namespace: "istio-system" },
        security: { networkPolicies: { enabled: true, controlPlane: true } },
      },
      /^aks-mesh:security\.networkPolicies\.controlPlane: istiod's namespace "istio-system" also runs the ingress gateway/,
    ],
    [
      "an API server address that is no CIDR",
      { security: { networkPolicies: { egress: { apiServerCidrs: ["apiserver.example.com"] } } } },
      /^aks-mesh:security\.networkPolicies\.egress\.apiServerCidrs\[0\]: must be an IPv4 CIDR/,
    ],
    [
      "context credentials without a context",
      { cluster: { ...CLUSTER, credentials: "context" } },
      /^aks-mesh:cluster\.kubeconfigContext: is required when credentials is "context"/,
    ],
    [
      "a system namespace enrolled for sidecars",
      { meshNamespaces: [{ name: "kube-system" }] },
      /^aks-mesh:meshNamespaces\[0\]\.name: "kube-system" is a system namespace/,
    ],
    [
      "a namespace name that is not a DNS label",
      { meshNamespaces: [{ name: "Shop_NS" }] },
      /^aks-mesh:meshNamespaces\[0\]\.name: must be a DNS label/,
    ],
    [
      "the gateway namespace enrolled for sidecars",
      { meshNamespaces: [{ name: "istio-ingress" }] },
      /^aks-mesh:meshNamespaces\[0\]\.name: "istio-ingress" is the ingress gateway namespace/,
    ],
    [
      "a host outside the DNS zone",
      {
        staticIp: { dns: { zoneName: "example.com", resourceGroup: "rg-dns" } },
        ingress: {
          hosts: [{ host: "a.example.org", routes: [{ prefix: "/", service: "web" }] }],
        },
      },
      /^aks-mesh:ingress\.hosts\[0\]\.host: "a\.example\.org" is not in the DNS zone "example\.com"/,
    ],
  ];

  test.each(cases)("%s", (_what, sections, expected) => {
    const problems = problemsOf(sections);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });
});

test("reports one error for one typo, not also a false one about the default the typo left in place", () => {
  expect(
    problemsOf({ ingressGateway: { autoscaling: { minReplica: 2 }, podDisruptionBudget: { minAvailable: 1 } } }),
  ).toEqual(['aks-mesh:ingressGateway.autoscaling.minReplica: unknown key; did you mean "minReplicas"?']);
});

test("names the stack file it was given (the offline plan's --config FILE) instead of Pulumi.<stack>.yaml", () => {
  const error = new ConfigError("prod", ["aks-mesh:istio.version: wrong"]).inFile("/tmp/try/Pulumi.prod.yaml");
  expect(error.message).toMatch(/^Invalid configuration in \/tmp\/try\/Pulumi\.prod\.yaml \(stack "prod"\):/);
  expect(error.problems).toEqual(["aks-mesh:istio.version: wrong"]);
});

test("reports every problem at once, so one run shows the whole list", () => {
  const problems = problemsOf({ istio: { version: "x" }, staticIp: { zones: ["9"] }, typo: {} });
  expect(problems).toHaveLength(3);
});

test("names the stack file and says nothing was deployed", () => {
  expect(() => parseConfig(raw({ istio: { version: "x" } }), ctx)).toThrow(
    /^Invalid configuration in Pulumi\.prod\.yaml \(stack "prod"\):\n {2}- aks-mesh:istio\.version: .*\nNothing was deployed\./,
  );
});

test("raises a RunError, which Pulumi prints without a stack trace", () => {
  let error: unknown;
  try {
    parseConfig(raw({ istio: { version: "x" } }), ctx);
  } catch (e) {
    error = e;
  }
  expect(pulumi.RunError.isInstance(error)).toBe(true);
});

test("ignores other namespaces' keys such as provider configuration", () => {
  expect(() => parseConfig({ ...raw({}), "azure-native:location": "koreacentral" }, ctx)).not.toThrow();
});

describe("fills defaults", () => {
  const cfg = parseConfig(raw({}), ctx);

  test("pins Istio 1.23.4 with the revision derived from it", () => {
    expect(cfg.istio.version).toBe("1.23.4");
    expect(cfg.istio.revision).toBe("1-23-4");
  });

  test("trims sidecars to requests 100m/128Mi and a 1Gi memory limit", () => {
    expect(cfg.istio.proxy.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "2000m", memory: "1Gi" },
    });
  });

  test("names the static IP after the project and stack", () => {
    expect(cfg.staticIp.name).toBe("pip-aks-mesh-prod-ingress");
    expect(cfg.staticIp.grantNetworkContributor).toBe(false);
  });

  test("keeps existing cluster access and never upserts existing objects by default", () => {
    expect(cfg.cluster.mode).toBe("existing");
    expect(cfg.cluster.upsertExistingObjects).toBe(false);
  });
});

test("derives the adopted IP's name and resource group from its id", () => {
  const cfg = parseConfig(raw({ staticIp: { adoptResourceId: ADOPT_ID } }), ctx);
  expect(cfg.staticIp.name).toBe("pip-ingress");
  expect(cfg.staticIp.resourceGroup).toBe("rg-net");
  expect(cfg.staticIp.adopt).toEqual({ resourceId: ADOPT_ID, resourceGroup: "rg-net", name: "pip-ingress" });
});

test("creates no second Network Contributor grant for an adopted IP, whose load balancer already holds one", () => {
  expect(parseConfig(raw({ staticIp: { adoptResourceId: ADOPT_ID } }), ctx).staticIp.grantNetworkContributor).toBe(
    false,
  );
});

test("grants Network Contributor on the resource group of an IP it creates outside the node group", () => {
  expect(parseConfig(raw({ staticIp: { resourceGroup: "rg-net" } }), ctx).staticIp.grantNetworkContributor).toBe(true);
});

const GRANT_ID =
  "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/RG-Net/providers/Microsoft.Authorization/roleAssignments/5f1c8e2a-7b3d-4c9e-a0f1-2b3c4d5e6f70";

test("manages an adopted IP's existing grant when its id is given, importing it", () => {
  const cfg = parseConfig(raw({ staticIp: { adoptResourceId: ADOPT_ID, adoptRoleAssignment: { id: GRANT_ID } } }), ctx);
  expect(cfg.staticIp.grantNetworkContributor).toBe(true);
  expect(cfg.staticIp.adoptRoleAssignment).toEqual({ id: GRANT_ID });
});

test("sends an idle timeout of 4 minutes, Azure's default, unless told otherwise", () => {
  expect(parseConfig(raw({}), ctx).staticIp.idleTimeoutInMinutes).toBe(4);
  expect(parseConfig(raw({ staticIp: { idleTimeoutInMinutes: 10 } }), ctx).staticIp.idleTimeoutInMinutes).toBe(10);
});

test("the role assignment id error echoes the bad value", () => {
  const [problem] = problemsOf({ staticIp: { adoptResourceId: ADOPT_ID, adoptRoleAssignment: { id: ADOPT_ID } } });
  expect(problem).toContain(`(got ${JSON.stringify(ADOPT_ID)})`);
});

describe("rejects a Network Contributor grant to import that cannot be the IP's", () => {
  test.each([
    [
      "an id that is not a role assignment",
      { adoptResourceId: ADOPT_ID, adoptRoleAssignment: { id: ADOPT_ID } },
      /^aks-mesh:staticIp\.adoptRoleAssignment\.id: must be a role assignment id/,
    ],
    [
      "an assignment on another resource group",
      { adoptResourceId: ADOPT_ID, adoptRoleAssignment: { id: GRANT_ID.replace("RG-Net", "rg-other") } },
      /^aks-mesh:staticIp\.adoptRoleAssignment\.id: is an assignment on resource group "rg-other", but the IP is in "rg-net"/,
    ],
    [
      "an assignment to import while the grant is switched off",
      { adoptResourceId: ADOPT_ID, grantNetworkContributor: false, adoptRoleAssignment: { id: GRANT_ID } },
      /^aks-mesh:staticIp\.grantNetworkContributor: is false but adoptRoleAssignment names a grant to import/,
    ],
    [
      "an assignment for an IP in the node resource group",
      { adoptRoleAssignment: { id: GRANT_ID } },
      /^aks-mesh:staticIp\.adoptRoleAssignment\.id: needs the IP's resource group/,
    ],
    [
      "an idle timeout above Azure's 30 minutes",
      { idleTimeoutInMinutes: 31 },
      /^aks-mesh:staticIp\.idleTimeoutInMinutes: /,
    ],
  ])("%s", (_name, staticIp, message) => {
    expect(problemsOf({ staticIp })).toEqual([expect.stringMatching(message)]);
  });
});

describe("certificates: a host's TLS Secret must be declared present in the gateway's namespace", () => {
  const tlsHost = (credentialName: string) => ({
    host: "www.example.com",
    tls: { credentialName },
    routes: [{ prefix: "/", service: "web" }],
  });

  test("refuses a gateway namespace where the Secret of an application host is not declared", () => {
    expect(
      problemsOf({ ingress: { hosts: [tlsHost("example-tls")], tlsSecrets: { "example-tls": ["istio-system"] } } }),
    ).toEqual([
      expect.stringMatching(
        /^aks-mesh:ingress\.hosts\[0\]\.tls\.credentialName: the gateway runs in namespace "istio-ingress" \(aks-mesh:ingressGateway\.namespace\) and reads TLS Secret "example-tls" there, but aks-mesh:ingress\.tlsSecrets\.example-tls lists only "istio-system"\. Put the certificate in "istio-ingress" first/,
      ),
    ]);
  });

  test("refuses the monitoring host's Secret when it is declared nowhere", () => {
    const problems = problemsOf({
      observability: { host: "monitoring.example.com", tls: { credentialName: "mon-tls" } },
      "aks-mesh:slackWebhookUrl": "https://hooks.slack.com/services/T0/B0/x",
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^aks-mesh:observability\.tls\.credentialName: .*TLS Secret "mon-tls" there, but aks-mesh:ingress\.tlsSecrets\.mon-tls does not list it anywhere/,
      ),
    ]);
  });

  test("accepts a Secret declared in the gateway namespace, wherever that is", () => {
    expect(
      problemsOf({ ingress: { hosts: [tlsHost("example-tls")], tlsSecrets: { "example-tls": ["istio-ingress"] } } }),
    ).toEqual([]);
    expect(
      problemsOf({
        ingressGateway: { namespace: "istio-system" },
        ingress: { hosts: [tlsHost("example-tls")], tlsSecrets: { "example-tls": ["istio-system"] } },
      }),
    ).toEqual([]);
  });

  test("asks nothing of hosts served without TLS", () => {
    const plain = { host: "app.example.com", routes: [{ prefix: "/", service: "web" }] };
    expect(problemsOf({ ingress: { hosts: [plain] } })).toEqual([]);
  });
});
