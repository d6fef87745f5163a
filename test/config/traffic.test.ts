// aks-mesh:traffic: presets merged with per-service overrides field by field, and what the area refuses before any
// resource exists (an unknown service or preset, the retired consecutiveErrors, durations Istio's CRD refuses).
import { ConfigError, parseConfig } from "../../config";

const ctx = { project: "aks-mesh", stack: "dev" };

type Sections = Record<string, unknown>;

function shop(traffic: unknown): Sections {
  return {
    environment: "development",
    cluster: { resourceGroup: "rg", name: "aks" },
    ingress: { hosts: [{ host: "shop.example.com", routes: [{ prefix: "/", service: "web" }] }] },
    services: {
      web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
      reviews: { namespace: "back", ports: [{ port: 8080, protocol: "http" }], callers: { services: ["web"] } },
    },
    meshNamespaces: [{ name: "front" }, { name: "back" }],
    traffic,
  };
}

function raw(sections: Sections): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sections)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`aks-mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

function errorOf(traffic: unknown): ConfigError {
  try {
    parseConfig(raw(shop(traffic)), ctx);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("the config was accepted");
}

const resolved = (traffic: unknown) => parseConfig(raw(shop(traffic)), ctx).traffic.services;

const presets = {
  default: {
    outlierDetection: { consecutiveGatewayErrors: 5, interval: "10s", baseEjectionTime: "30s" },
    connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100, maxRetries: 3 } },
    loadBalancer: { simple: "LEAST_REQUEST" },
  },
};

describe("presets and overrides", () => {
  test("a service naming a preset gets the preset's policy", () => {
    expect(resolved({ presets, services: { reviews: { preset: "default" } } }).reviews).toEqual({
      preset: "default",
      policy: presets.default,
    });
  });

  test("an override replaces only the fields it sets, keeping the preset's other fields at every level", () => {
    const policy = resolved({
      presets,
      services: {
        reviews: {
          preset: "default",
          outlierDetection: { consecutiveGatewayErrors: 3 },
          connectionPool: { http: { maxRetries: 1 } },
          loadBalancer: { simple: "RANDOM" },
        },
      },
    }).reviews?.policy;
    expect(policy).toEqual({
      outlierDetection: { consecutiveGatewayErrors: 3, interval: "10s", baseEjectionTime: "30s" },
      connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 100, maxRetries: 1 } },
      loadBalancer: { simple: "RANDOM" },
    });
  });

  test("a service with its own fields and no preset gets exactly those fields", () => {
    expect(resolved({ services: { reviews: { connectionPool: { tcp: { connectTimeout: "250ms" } } } } })).toEqual({
      reviews: { policy: { connectionPool: { tcp: { connectTimeout: "250ms" } } } },
    });
  });

  test("a service whose entry sets nothing gets no policy (and so no DestinationRule)", () => {
    expect(resolved({ presets, services: { reviews: {} } })).toEqual({});
  });

  test("a stack without aks-mesh:traffic has no policies", () => {
    expect(resolved(undefined)).toEqual({});
  });
});

describe("refusals", () => {
  test("a service that is not in aks-mesh:services, naming the file, key and stack", () => {
    const e = errorOf({ services: { review: { preset: "x" }, reviews: {} } });
    expect(e.message).toContain('Invalid configuration in Pulumi.dev.yaml (stack "dev")');
    expect(e.problems).toContainEqual(
      expect.stringMatching(
        /^aks-mesh:traffic\.services\.review: "review" is not a service of aks-mesh:services; did you mean "reviews"\?/,
      ),
    );
  });

  test("a preset that is not defined, listing the ones that are", () => {
    const e = errorOf({ presets, services: { reviews: { preset: "critical" } } });
    expect(e.problems).toEqual([
      'aks-mesh:traffic.services.reviews.preset: "critical" is not a preset of aks-mesh:traffic.presets (it defines "default")',
    ]);
  });

  test("the deprecated consecutiveErrors, saying Istio 1.23 ignores it and what to write instead", () => {
    const e = errorOf({ services: { reviews: { outlierDetection: { consecutiveErrors: 3, interval: "30s" } } } });
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(
      /^aks-mesh:traffic\.services\.reviews\.outlierDetection\.consecutiveErrors: deprecated/,
    );
    expect(e.problems[0]).toMatch(/Istio 1\.23 ignores it/);
    expect(e.problems[0]).toMatch(/gateway errors \(502, 503, 504\): write consecutiveGatewayErrors: 3/);
    expect(e.problems[0]).toMatch(/or consecutive5xxErrors: 3/);
  });

  test("consecutiveErrors in a preset too", () => {
    const e = errorOf({ presets: { default: { outlierDetection: { consecutiveErrors: 5 } } } });
    expect(e.problems).toEqual([
      expect.stringMatching(/^aks-mesh:traffic\.presets\.default\.outlierDetection\.consecutiveErrors:/),
    ]);
  });

  test.each([
    ["outlierDetection", "interval", "0s"],
    ["outlierDetection", "baseEjectionTime", "0.5ms"],
    ["connectionPool.tcp", "connectTimeout", "0ms"],
    ["connectionPool.http", "idleTimeout", "0.1ms"],
  ])("a %s.%s shorter than 1ms (%s), which the CRD's CEL rule refuses", (section, field, value) => {
    const policy: Record<string, unknown> = {};
    const [top, sub] = section.split(".") as [string, string | undefined];
    policy[top] = sub ? { [sub]: { [field]: value } } : { [field]: value };
    const e = errorOf({ services: { reviews: policy } });
    expect(e.problems).toEqual([expect.stringMatching(/must be at least 1ms/)]);
  });

  test("a duration that is not one", () => {
    expect(errorOf({ services: { reviews: { outlierDetection: { interval: "30" } } } }).problems).toEqual([
      expect.stringMatching(/^aks-mesh:traffic\.services\.reviews\.outlierDetection\.interval: must be a duration/),
    ]);
  });

  test("a maxEjectionPercent above 100", () => {
    expect(errorOf({ services: { reviews: { outlierDetection: { maxEjectionPercent: 120 } } } }).problems).toEqual([
      expect.stringMatching(/^aks-mesh:traffic\.services\.reviews\.outlierDetection\.maxEjectionPercent/),
    ]);
  });

  test("a load balancer Istio does not have under simple", () => {
    expect(errorOf({ services: { reviews: { loadBalancer: { simple: "LEAST_CONNECTION" } } } }).problems).toEqual([
      expect.stringMatching(/^aks-mesh:traffic\.services\.reviews\.loadBalancer\.simple/),
    ]);
  });
});
