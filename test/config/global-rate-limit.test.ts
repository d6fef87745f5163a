// aks-mesh:traffic.globalRateLimit: off by default; what it refuses before any resource exists (a host or route the
// gateway does not serve, two limits counting the same thing, production without the image digest), and the ratelimit
// service's own loader rules (envoyproxy/ratelimit src/config/config_impl.go) applied to the config it is given.
import { ConfigError, parseConfig } from "../../config";
import {
  limitId,
  loaderProblems,
  type RateLimitServiceConfig,
  rateLimitServiceConfig,
  REDIS_DIGEST,
} from "../../config/global-rate-limit";

const ctx = { project: "aks-mesh", stack: "dev" };
const DIGEST = `sha256:${"a".repeat(64)}`;

function raw(environment: string, globalRateLimit: unknown): Record<string, string> {
  const sections: Record<string, unknown> = {
    environment,
    cluster: { resourceGroup: "rg", name: "aks" },
    ingress: {
      hosts: [
        {
          host: "shop.example.com",
          ...(environment === "production" ? { tls: { credentialName: "shop-tls" } } : {}),
          routes: [
            { prefix: "/", service: "web" },
            { prefix: "/api", service: "api" },
          ],
        },
      ],
      ...(environment === "production" ? { tlsSecrets: { "shop-tls": ["istio-ingress"] } } : {}),
    },
    services: {
      web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
      api: { namespace: "front", ports: [{ port: 8080, protocol: "http" }] },
    },
    meshNamespaces: [{ name: "front" }],
    // What production requires of every stack, so only this section's rules speak.
    ...(environment === "production"
      ? {
          istio: { revision: "1-23-4" },
          ingressGateway: { autoscaling: { minReplicas: 2 }, podDisruptionBudget: { minAvailable: 1 } },
        }
      : {}),
    ...(globalRateLimit === undefined ? {} : { traffic: { globalRateLimit } }),
  };
  return Object.fromEntries(
    Object.entries(sections).map(([k, v]) => [`aks-mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

const parsed = (g: unknown, environment = "development") =>
  parseConfig(raw(environment, g), ctx).traffic.globalRateLimit;

function problemsOf(g: unknown, environment = "development"): readonly string[] {
  try {
    parseConfig(raw(environment, g), ctx);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("the config was accepted");
}

const hostLimit = { host: "shop.example.com", requestsPerUnit: 100, unit: "minute" };

describe("defaults", () => {
  test("is off when the stack does not set it", () => {
    expect(parsed(undefined)).toMatchObject({ enabled: false, limits: [] });
  });

  test("pins Redis by tag and the index digest docker-library records, and fails open", () => {
    const g = parsed({ enabled: true, limits: [hostLimit] });
    expect(g.images.redis).toEqual({ tag: "7.4.11-alpine", digest: REDIS_DIGEST });
    expect(g.failureModeDeny).toBe(false);
    expect(g.replicas).toBe(2);
  });
});

describe("refused before anything is deployed", () => {
  test("a limit for a host the gateway does not serve, with a suggestion", () => {
    expect(problemsOf({ enabled: true, limits: [{ ...hostLimit, host: "shop.example.org" }] })).toEqual([
      'aks-mesh:traffic.globalRateLimit.limits[0].host: "shop.example.org" is not a host of aks-mesh:ingress.hosts; ' +
        'did you mean "shop.example.com"?',
    ]);
  });

  test("a limit for a route the host does not have", () => {
    expect(problemsOf({ enabled: true, limits: [{ ...hostLimit, prefix: "/v2" }] })).toEqual([
      "aks-mesh:traffic.globalRateLimit.limits[0].prefix: shop.example.com has no route /v2 (its routes: /, /api)",
    ]);
  });

  test("two limits counting the same host, route and key (the loader's duplicate composite key)", () => {
    const perUser = { ...hostLimit, prefix: "/api", by: { header: "x-user-id" } };
    expect(problemsOf({ enabled: true, limits: [perUser, { ...perUser, requestsPerUnit: 5 }] })).toEqual([
      "aks-mesh:traffic.globalRateLimit.limits[1]: counts the same host, route and key as limits[0]",
    ]);
  });

  test("enabled with no limits (a service nobody asks)", () => {
    expect(problemsOf({ enabled: true })).toEqual([
      "aks-mesh:traffic.globalRateLimit.limits: enabled with no limits: add a limit, or set " +
        "aks-mesh:traffic.globalRateLimit.enabled false",
    ]);
  });

  test("production without the ratelimit image's digest, saying how to read it", () => {
    const problems = problemsOf({ enabled: true, limits: [hostLimit] }, "production");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^aks-mesh:traffic\.globalRateLimit\.images\.ratelimit\.digest: required in production/,
    );
    expect(problems[0]).toContain("docker buildx imagetools inspect docker.io/envoyproxy/ratelimit:30a4ce1a");
  });

  test.each([
    ["a unit the pinned service cannot count in", { ...hostLimit, unit: "month" }, /limits\[0\]\.unit/],
    ["both a header and the client address", { ...hostLimit, by: { header: "x-user-id", remoteAddress: true } }, /by/],
    ["an upper-case header name", { ...hostLimit, by: { header: "X-User-Id" } }, /by\.header/],
    ["a negative budget", { ...hostLimit, requestsPerUnit: -1 }, /requestsPerUnit/],
  ])("%s", (_what, limit, key) => {
    const problems = problemsOf({ enabled: true, limits: [limit] });
    expect(problems.some((p) => key.test(p))).toBe(true);
  });

  test("a malformed digest", () => {
    const problems = problemsOf({ enabled: true, limits: [hostLimit], images: { ratelimit: { digest: "sha256:ab" } } });
    expect(problems).toEqual([
      expect.stringMatching(/^aks-mesh:traffic\.globalRateLimit\.images\.ratelimit\.digest: .*sha256:<64 hex>/),
    ]);
  });
});

describe("accepted", () => {
  test("production with the digest; host, route, per-header and per-address limits side by side", () => {
    const g = parsed(
      {
        enabled: true,
        images: { ratelimit: { digest: DIGEST } },
        limits: [
          hostLimit,
          { ...hostLimit, prefix: "/api" },
          { ...hostLimit, prefix: "/api", by: { header: "x-user-id" } },
          { ...hostLimit, prefix: "/api", by: { remoteAddress: true } },
        ],
      },
      "production",
    );
    expect(g.limits).toHaveLength(4);
    expect(new Set(g.limits.map(limitId)).size).toBe(4);
  });

  test("nothing is checked while disabled (a limit may name a host that is gone)", () => {
    expect(parsed({ enabled: false, limits: [{ ...hostLimit, host: "old.example.com" }] }).enabled).toBe(false);
  });
});

describe("the service config and its loader rules", () => {
  test("a limit counting everything holds its rate limit; one counting per header nests a key-only descriptor", () => {
    expect(
      rateLimitServiceConfig("aks-mesh", [
        { host: "shop.example.com", requestsPerUnit: 100, unit: "minute" },
        { host: "shop.example.com", prefix: "/api", by: { header: "x-user-id" }, requestsPerUnit: 5, unit: "second" },
      ]),
    ).toEqual({
      domain: "aks-mesh",
      descriptors: [
        { key: "limit", value: "shop.example.com", rate_limit: { unit: "minute", requests_per_unit: 100 } },
        {
          key: "limit",
          value: "shop.example.com/api#header:x-user-id",
          descriptors: [{ key: "x-user-id", rate_limit: { unit: "second", requests_per_unit: 5 } }],
        },
      ],
    });
  });

  test("a wildcard host's id has no '*' (the loader would read it as a wildcard value)", () => {
    expect(limitId({ host: "*.example.com" })).toBe("wildcard.example.com");
  });

  const ok: RateLimitServiceConfig = {
    domain: "d",
    descriptors: [{ key: "limit", value: "a", rate_limit: { unit: "second", requests_per_unit: 1 } }],
  };
  const bad = (descriptors: unknown[], domain = "d") => ({ domain, descriptors }) as RateLimitServiceConfig;

  test("accepts a well-formed config", () => {
    expect(loaderProblems(ok)).toEqual([]);
  });

  test.each([
    ["an empty domain", bad(ok.descriptors, ""), "domain: empty (the loader refuses a config without a domain)"],
    ["a descriptor without a key", bad([{ key: "" }]), "descriptors[0]: empty key"],
    [
      "two descriptors with one composite key at a level",
      bad([
        { key: "limit", value: "a" },
        { key: "limit", value: "a" },
      ]),
      'descriptors[1]: duplicate descriptor composite key "limit_a"',
    ],
    [
      "the same key without a value twice, nested",
      bad([{ key: "limit", value: "a", descriptors: [{ key: "x" }, { key: "x" }] }]),
      'descriptors[0].descriptors[1]: duplicate descriptor composite key "x"',
    ],
    [
      "a unit the service cannot count in",
      bad([{ key: "k", rate_limit: { unit: "month", requests_per_unit: 1 } }]),
      'descriptors[0].rate_limit.unit: "month" is not one of second, minute, hour, day',
    ],
    [
      "requests_per_unit beyond uint32",
      bad([{ key: "k", rate_limit: { unit: "second", requests_per_unit: 2 ** 32 } }]),
      "descriptors[0].rate_limit.requests_per_unit: 4294967296 is not a uint32",
    ],
    ["a key the loader does not know", bad([{ key: "k", limit: 1 }]), 'descriptors[0]: unknown key "limit"'],
  ])("refuses %s", (_what, config, problem) => {
    expect(loaderProblems(config)).toEqual([problem]);
  });

  test("the same key with different values is two descriptors, not a duplicate", () => {
    expect(
      loaderProblems(
        bad([
          { key: "limit", value: "a" },
          { key: "limit", value: "b" },
        ]),
      ),
    ).toEqual([]);
  });
});
