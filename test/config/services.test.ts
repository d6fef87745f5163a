// The service graph (aks-mesh:services): what it resolves to, and every name in it that must resolve. The baseline is a
// shop: web (exposed at /), api (exposed at /api, called by web and by the batch namespace), db (tcp, outside the mesh).
import YAML from "yaml";
import { parseConfig } from "../../config";
import { configProblems } from "../support/config";

const ctx = { project: "aks-mesh", stack: "dev" };

type Sections = Record<string, unknown>;

function shop(): Sections {
  return {
    environment: "development",
    cluster: { resourceGroup: "rg", name: "aks" },
    ingress: {
      hosts: [
        {
          host: "shop.example.com",
          routes: [
            { prefix: "/api", service: "api" },
            { prefix: "/", service: "web" },
          ],
        },
      ],
    },
    services: {
      web: { namespace: "front", ports: [{ port: 80, protocol: "http" }], versions: ["v1", "v2"] },
      api: {
        namespace: "back",
        ports: [
          { port: 8080, protocol: "http" },
          { port: 9090, protocol: "grpc" },
        ],
        callers: { services: ["web"], namespaces: ["batch"] },
        external: [{ host: "login.example.com" }],
      },
      db: { namespace: "data", ports: [{ port: 5432, protocol: "tcp" }], callers: { services: ["api"] } },
    },
    meshNamespaces: [{ name: "front" }, { name: "back" }, { name: "batch" }],
    outsideMeshNamespaces: [{ name: "data", reason: "managed database operator" }],
  };
}

/** The shop with the route to /api pinned to port 8080 (api has two HTTP ports). */
function valid(): Sections {
  const s = shop();
  routes(s)[0]!.port = 8080;
  return s;
}

function routes(s: Sections): Record<string, unknown>[] {
  return (s.ingress as { hosts: { routes: Record<string, unknown>[] }[] }).hosts[0]!.routes;
}

function raw(sections: Sections): Record<string, string> {
  return Object.fromEntries(
    Object.entries(sections).map(([k, v]) => [`aks-mesh:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

function problemsOf(sections: Sections): string[] {
  return configProblems(() => parseConfig(raw(sections), ctx));
}

function changed(edit: (s: Sections) => void): Sections {
  const s = valid();
  edit(s);
  return s;
}

const services = (s: Sections) => s.services as Record<string, Record<string, unknown>>;

describe("resolves the graph every later area derives from", () => {
  const graph = () => parseConfig(raw(valid()), ctx).mesh.graph;

  test("gives each service its callers, with the ingress gateway derived from the routes", () => {
    const { api, db } = graph().services;
    expect(api?.callers).toEqual({ services: ["web"], namespaces: ["batch"], ingress: true, monitoring: false });
    expect(db?.callers.ingress).toBe(false);
  });

  test("derives where a service is exposed from the routes that name it", () => {
    expect(graph().services.api?.exposedAt).toEqual([{ host: "shop.example.com", prefix: "/api" }]);
    expect(graph().services.db?.exposedAt).toEqual([]);
  });

  test("derives what a service calls from the callers the others declare", () => {
    expect(graph().services.web?.calls).toEqual(["api"]);
    expect(graph().services.api?.calls).toEqual(["db"]);
  });

  test("gives a caller namespace without services of its own what it calls", () => {
    expect(graph().namespaces.batch).toMatchObject({ inMesh: true, services: [], calls: ["api"] });
  });

  test("tells the namespaces in the mesh from those outside it, and carries their external hosts", () => {
    const { back, data } = graph().namespaces;
    expect(back?.inMesh).toBe(true);
    expect(data?.inMesh).toBe(false);
    expect(back?.external).toEqual([{ host: "login.example.com", port: 443, protocol: "tls" }]);
  });

  test("counts monitoring as a caller only when the observability layer is on", () => {
    const s = valid();
    s.observability = { host: "monitoring.example.com" };
    s.slackWebhookUrl = "https://hooks.slack.com/services/T0/B0/x";
    const g = parseConfig(raw(s), ctx).mesh.graph;
    expect(g.monitoringNamespace).toBe("monitoring");
    expect(g.services.api?.callers.monitoring).toBe(true);
  });

  test("fills each route's namespace and port from its service, the only HTTP port by default", () => {
    const [api, web] = parseConfig(raw(valid()), ctx).ingress.hosts[0]!.routes;
    expect(api).toMatchObject({ service: "api", namespace: "back", port: 8080, delegate: false });
    expect(web).toMatchObject({ service: "web", namespace: "front", port: 80 });
  });

  test("keeps Sidecars off unless the stack turns them on", () => {
    expect(parseConfig(raw(valid()), ctx).mesh.sidecars.enabled).toBe(false);
    const on = changed((s) => (s.sidecars = { enabled: true }));
    expect(parseConfig(raw(on), ctx).mesh.sidecars.enabled).toBe(true);
  });
});

describe("refuses a graph whose names do not resolve, naming the key", () => {
  test.each<[string, (s: Sections) => void, RegExp]>([
    [
      "a route to a service the graph does not declare, with the likely name",
      (s) => (routes(s)[1]!.service = "wbe"),
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[1\]\.service: "wbe" is not a service of aks-mesh:services; did you mean "web"\?$/,
    ],
    [
      "a caller service the graph does not declare",
      (s) => (services(s).db!.callers = { services: ["payments"] }),
      /^aks-mesh:services\.db\.callers\.services\[0\]: "payments" is not a service of aks-mesh:services \(it declares "web", "api", "db"\): declare it there/,
    ],
    [
      "a service in a namespace neither enrolled nor declared outside the mesh",
      (s) => (s.outsideMeshNamespaces = []),
      /^aks-mesh:services\.db\.namespace: "data" is neither enrolled in the mesh \(aks-mesh:meshNamespaces\) nor declared outside it \(aks-mesh:outsideMeshNamespaces\); add it to one of them\.$/,
    ],
    [
      "a caller namespace neither enrolled nor declared outside the mesh",
      (s) => (s.meshNamespaces = [{ name: "front" }, { name: "back" }]),
      /^aks-mesh:services\.api\.callers\.namespaces\[0\]: "batch" is neither enrolled in the mesh/,
    ],
    [
      "a route without a port to a service with several HTTP ports",
      (s) => delete routes(s)[0]!.port,
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\.port: is required: service "api" has several HTTP ports \(8080, 9090, aks-mesh:services\.api\.ports\)/,
    ],
    [
      "a route to a port the service does not have",
      (s) => (routes(s)[0]!.port = 8081),
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\.port: 8081 is not a port of service "api" \(aks-mesh:services\.api\.ports: 8080, 9090\)$/,
    ],
    [
      "a route to a service's TCP port",
      (s) => routes(s).push({ prefix: "/db", service: "db", port: 5432 }),
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[2\]\.port: port 5432 of service "db" is tcp .*route to an http, http2, grpc port$/,
    ],
    [
      "a route to a service without an HTTP port",
      (s) => routes(s).push({ prefix: "/db", service: "db" }),
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[2\]\.service: service "db" has no http, http2, grpc port/,
    ],
  ])("%s", (_what, edit, message) => {
    expect(problemsOf(changed(edit))).toEqual([expect.stringMatching(message)]);
  });

  test.each<[string, (s: Sections) => void, RegExp]>([
    [
      "a port",
      (s) => (services(s).web!.ports = [80, 80].map((port) => ({ port, protocol: "http" }))),
      /^aks-mesh:services\.web\.ports\[1\]\.port: "80" is listed twice$/,
    ],
    ["a version", (s) => (services(s).web!.versions = ["v1", "v1"]), /^aks-mesh:services\.web\.versions\[1\]: "v1"/],
    [
      "a caller",
      (s) => (services(s).db!.callers = { services: ["api", "api"] }),
      /^aks-mesh:services\.db\.callers\.services\[1\]: "api" is listed twice$/,
    ],
    [
      "an external host",
      (s) => (services(s).api!.external = [{ host: "login.example.com" }, { host: "login.example.com", port: 443 }]),
      /^aks-mesh:services\.api\.external\[1\]\.host: "login\.example\.com:443" is listed twice$/,
    ],
  ])("refuses %s listed twice", (_what, edit, message) => {
    expect(problemsOf(changed(edit))).toEqual([expect.stringMatching(message)]);
  });

  test("refuses a service name that is not a DNS label, as Kubernetes would", () => {
    const s = changed((c) => (services(c).Web = services(c).web!));
    expect(problemsOf(s)).toEqual([expect.stringMatching(/^aks-mesh:services\.Web: /)]);
  });

  test("accepts the shop", () => {
    expect(problemsOf(valid())).toEqual([]);
  });
});

describe("refuses the route form before the graph, saying exactly what to write", () => {
  /** The shop as it was written before aks-mesh:services: namespace and port on every route. */
  function inline(): Sections {
    const s = valid();
    delete s.services;
    (s.ingress as { hosts: unknown[] }).hosts = [
      {
        host: "shop.example.com",
        routes: [
          { prefix: "/api", service: "api", namespace: "back", port: 8080 },
          { prefix: "/", service: "web", namespace: "front", port: 80 },
        ],
      },
    ];
    return s;
  }

  test("names the route's namespace key, once per route and with no second message from the schema", () => {
    const problems = problemsOf(inline());
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /^aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\.namespace: a route names its service only; .*Remove namespace from this route and add to the stack file:\n/,
    );
  });

  test("prints the aks-mesh:services entries that make the stack valid once namespace is removed", () => {
    const s = inline();
    const added = problemsOf(s).map((p) => YAML.parse(p.slice(p.indexOf("\n"))) as Record<string, Sections>);
    s.services = Object.assign({}, ...added.map((a) => a["aks-mesh:services"]));
    for (const r of routes(s)) delete r.namespace;
    expect(s.services).toEqual({
      api: { namespace: "back", ports: [{ port: 8080, protocol: "http" }] },
      web: { namespace: "front", ports: [{ port: 80, protocol: "http" }] },
    });
    expect(problemsOf(s)).toEqual([]);
  });

  test("only asks to remove the namespace when the graph already declares the service", () => {
    const s = valid();
    routes(s)[1]!.namespace = "front";
    expect(problemsOf(s)).toEqual([
      expect.stringMatching(
        /^aks-mesh:ingress\.hosts\[0\]\.routes\[1\]\.namespace: .*aks-mesh:services already declares "web": remove namespace from this route\.$/,
      ),
    ]);
  });
});

describe("delegated paths: one delegate VirtualService per service", () => {
  const delegating = (secondPort: number) =>
    changed((s) => {
      routes(s)[0]!.delegate = true;
      routes(s).push({ prefix: "/api/v2", service: "api", port: secondPort, delegate: true });
    });

  test("refuses two delegated paths of one service to different ports, naming the first", () => {
    expect(problemsOf(delegating(9090))).toEqual([
      expect.stringMatching(
        /^aks-mesh:ingress\.hosts\[0\]\.routes\[2\]\.port: service "api" is delegated at port 8080 already \(aks-mesh:ingress\.hosts\[0\]\.routes\[0\]\)/,
      ),
    ]);
  });

  test("accepts several delegated paths of one service to the same port", () => {
    expect(problemsOf(delegating(8080))).toEqual([]);
  });
});
