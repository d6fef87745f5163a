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

describe("route fields, ports, fault and rate limits", () => {
  const retries = { attempts: 2, perTryTimeout: "2s", retryOn: "gateway-error,connect-failure" };

  test("a service takes its preset's timeout and retries, and its own retries replace the preset's whole", () => {
    const withRoutes = { default: { ...presets.default, timeout: "10s", retries } };
    const own = { attempts: 1 };
    const r = resolved({ presets: withRoutes, services: { reviews: { preset: "default", retries: own } } }).reviews;
    expect(r?.policy.timeout).toBe("10s");
    expect(r?.policy.retries).toEqual(own);
  });

  test("a service's consistentHash replaces the preset's simple algorithm, keeping its other load-balancer fields", () => {
    const locality = { localityLbSetting: { enabled: true } };
    const lbPreset = {
      p: { outlierDetection: { consecutive5xxErrors: 3 }, loadBalancer: { simple: "ROUND_ROBIN", ...locality } },
    };
    const policy = resolved({
      presets: lbPreset,
      services: { reviews: { preset: "p", loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } } },
    }).reviews?.policy;
    expect(policy?.loadBalancer).toEqual({ ...locality, consistentHash: { httpHeaderName: "x-user" } });
  });

  test("the sidecar rate limit selects the pods by app: <service> unless told otherwise", () => {
    const limit = { maxTokens: 10, fillInterval: "1s" };
    expect(resolved({ services: { reviews: { rateLimit: limit } } }).reviews?.rateLimit).toEqual({
      ...limit,
      tokensPerFill: 1,
      selector: { app: "reviews" },
    });
  });

  test.each<[string, unknown, RegExp]>([
    [
      "retries that retry 0 times with a perTryTimeout (Istio refuses it)",
      { services: { reviews: { retries: { attempts: 0, perTryTimeout: "1s" } } } },
      /traffic\.services\.reviews\.retries\.attempts.*drop perTryTimeout/,
    ],
    [
      "a retryOn policy Envoy does not have",
      { services: { reviews: { retries: { attempts: 2, retryOn: "gateway-eror" } } } },
      /"gateway-eror" is not a retryOn policy; did you mean "gateway-error"/,
    ],
    [
      "locality load balancing without outlier detection",
      { services: { reviews: { loadBalancer: { localityLbSetting: { enabled: true } } } } },
      /traffic\.services\.reviews\.loadBalancer\.localityLbSetting: needs outlierDetection/,
    ],
    [
      "a port's locality setting where neither the port nor the service has outlier detection",
      { services: { reviews: { ports: { "8080": { loadBalancer: { localityLbSetting: { enabled: true } } } } } } },
      /traffic\.services\.reviews\.ports\.8080\.loadBalancer\.localityLbSetting: needs outlierDetection/,
    ],
    [
      "distribute weights that do not add up to 100",
      {
        services: {
          reviews: {
            outlierDetection: { consecutive5xxErrors: 3 },
            loadBalancer: { localityLbSetting: { distribute: [{ from: "kc/kc-1/*", to: { "kc/kc-1/*": 60 } }] } },
          },
        },
      },
      /distribute\[0\]\.to: weights add up to 60, not 100/,
    ],
    [
      "warmupDurationSecs with RANDOM (Istio ignores it)",
      { services: { reviews: { loadBalancer: { simple: "RANDOM", warmupDurationSecs: "30s" } } } },
      /warmupDurationSecs: Istio ignores it with RANDOM/,
    ],
    [
      "a consistentHash with two keys",
      { services: { reviews: { loadBalancer: { consistentHash: { httpHeaderName: "a", useSourceIp: true } } } } },
      /consistentHash: set exactly one of/,
    ],
    [
      "port-level settings for a port the service does not have",
      { services: { reviews: { ports: { "9090": { connectionPool: { tcp: { maxConnections: 5 } } } } } } },
      /traffic\.services\.reviews\.ports\.9090: reviews has no port 9090/,
    ],
    [
      "a fault drill past its day",
      { services: { reviews: { fault: { abort: { percent: 10, httpStatus: 503 }, expires: "2000-01-01" } } } },
      /traffic\.services\.reviews\.fault\.expires: the drill ended on 2000-01-01/,
    ],
    [
      "a gateway limit for a host the gateway does not serve",
      { gatewayRateLimits: [{ host: "shop.exampel.com", maxTokens: 5, fillInterval: "1s" }] },
      /gatewayRateLimits\[0\]\.host: "shop.exampel.com" is not a host of .*did you mean "shop.example.com"/,
    ],
    [
      "a gateway limit for a route the host does not have",
      { gatewayRateLimits: [{ host: "shop.example.com", prefix: "/api", maxTokens: 5, fillInterval: "1s" }] },
      /gatewayRateLimits\[0\]\.prefix: shop.example.com has no route \/api/,
    ],
    [
      "a fill interval shorter than Envoy's 50ms",
      { gatewayRateLimits: [{ host: "shop.example.com", maxTokens: 5, fillInterval: "10ms" }] },
      /at least 50ms/,
    ],
  ])("refuses %s", (_what, traffic, message) => {
    expect(errorOf(traffic).message).toMatch(message);
  });

  test("sends a port the service's outlier detection beside its own fields, since Istio would not carry it over", () => {
    const services = resolved({
      services: {
        reviews: {
          outlierDetection: { consecutive5xxErrors: 3 },
          ports: { "8080": { loadBalancer: { localityLbSetting: { enabled: true } } } },
        },
      },
    });
    expect(services.reviews?.ports?.[8080]).toEqual({
      outlierDetection: { consecutive5xxErrors: 3 },
      loadBalancer: { localityLbSetting: { enabled: true } },
    });
  });

  test("refuses fault injection in production without allowInProduction, and accepts it with", () => {
    const fault = { delay: { percent: 5, fixedDelay: "2s" }, expires: "2099-12-31" };
    const prod = (f: unknown) => ({
      ...shop({ services: { reviews: { fault: f } } }),
      environment: "production",
    });
    const problems = (s: Sections) => {
      try {
        parseConfig(raw(s), ctx);
        return "";
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
    };
    expect(problems(prod(fault))).toMatch(/fault injection in production needs .*fault\.allowInProduction: true/);
    expect(problems(prod({ ...fault, allowInProduction: true }))).not.toMatch(/fault/);
  });
});
