import { type Harness, mockRuntime, valueOf } from "../../harness";
import type * as Ingress from "../../../components/ingress";
import { gatewaySelector } from "../../../components/shared";

const ADOPT_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/publicIPAddresses/pip-prod";

let h: Harness;
let ingress: typeof Ingress;
let adopted: Ingress.StaticIp;

beforeAll(async () => {
  h = await mockRuntime({ publicIpAddress: "20.249.144.238" });
  ingress = await import("../../../components/ingress");
  adopted = new ingress.StaticIp("adopted", {
    name: "pip-prod",
    resourceGroupName: "rg-net",
    grantNetworkContributor: true,
    location: "koreacentral",
    zones: ["1", "2", "3"],
    tags: {},
    idleTimeoutInMinutes: 4,
    clusterPrincipalId: "principal-1",
    adoptResourceId: ADOPT_ID,
    expectedAddress: "20.249.144.238",
  });
  new ingress.StaticIp("fresh", {
    name: "pip-dev",
    resourceGroupName: "MC_rg_aks_koreacentral",
    grantNetworkContributor: false,
    location: "koreacentral",
    zones: [],
    tags: { environment: "dev" },
    idleTimeoutInMinutes: 4,
    clusterPrincipalId: "principal-2",
  });
  new ingress.IngressGateway("gw", {
    namespace: "istio-ingress",
    createNamespace: true,
    name: "istio-ingressgateway",
    revision: "1-23-4",
    autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 },
    podDisruptionBudget: { minAvailable: 1 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
    externalTrafficPolicy: "Local",
    loadBalancerSourceRanges: [],
    staticIp: { name: adopted.name, resourceGroupName: adopted.resourceGroupName },
    ipResources: adopted.bindable,
    controlPlane: [],
  });
  new ingress.PublicGateway("pub", {
    name: "public-gateway",
    namespace: "istio-ingress",
    selector: gatewaySelector("istio-ingressgateway"),
    hosts: [
      {
        host: "www.example.com",
        routesNamespace: "istio-ingress",
        tls: { credentialName: "example-tls", httpsRedirect: true },
      },
      {
        host: "api.example.com",
        routesNamespace: "istio-ingress",
        tls: { credentialName: "example-tls", httpsRedirect: true },
      },
      { host: "plain.example.com", routesNamespace: "istio-ingress" },
      {
        host: "monitoring.example.com",
        routesNamespace: "monitoring",
        tls: { credentialName: "mon-tls", httpsRedirect: false },
      },
    ],
  });
  new ingress.HostRoutes("routes", {
    namespace: "istio-ingress",
    gatewayRef: "istio-ingress/public-gateway",
    hosts: [
      {
        host: "www.example.com",
        routes: [
          { prefix: "/", service: "web", namespace: "web", port: 80 },
          { prefix: "/api/v1", service: "api", namespace: "api", port: 8080, rewrite: "/", timeout: "10s" },
        ],
      },
    ],
  });
  new ingress.HostRoutes("delegating", {
    namespace: "istio-ingress",
    gatewayRef: "istio-ingress/public-gateway",
    hosts: [
      {
        host: "shop.example.com",
        routes: [
          {
            prefix: "/cart",
            service: "cart",
            namespace: "shop",
            port: 8080,
            rewrite: "/",
            timeout: "5s",
            delegate: true,
          },
          { prefix: "/", service: "web", namespace: "web", port: 80 },
        ],
      },
      {
        host: "m.example.com",
        routes: [{ prefix: "/cart", service: "cart", namespace: "shop", port: 8080, delegate: true }],
      },
    ],
  });
  new ingress.DnsRecords("dns", {
    zoneName: "example.com",
    resourceGroupName: "rg-dns",
    ttl: 300,
    hosts: ["example.com", "www.example.com", "www.example.com"],
    address: adopted.address,
  });
  await h.settle();
});

const PIP = "azure-native:network:PublicIPAddress";

describe("StaticIp", () => {
  test("keeps the static IP protected, so a destroy cannot lose the address DNS points at", () => {
    expect(h.one(PIP, "adopted-pip").protect).toBe(true);
    expect(h.one(PIP, "fresh-pip").protect).toBe(true);
  });

  test("asks for a Standard, Static, IPv4 address", () => {
    expect(h.one(PIP, "fresh-pip").inputs).toMatchObject({
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
    });
  });

  test("adopts an existing IP with Pulumi import from its resource id instead of creating one", () => {
    const ip = h.one(PIP, "adopted-pip");
    expect(ip.importId).toBe(ADOPT_ID);
    expect(ip.inputs).toMatchObject({
      publicIpAddressName: "pip-prod",
      resourceGroupName: "rg-net",
      zones: ["1", "2", "3"],
    });
    expect(h.one(PIP, "fresh-pip").importId).toBeUndefined();
  });

  test("sends no tags or zones when none are configured, so an adopted IP without them shows no diff", () => {
    const inputs = h.one(PIP, "adopted-pip").inputs;
    expect(inputs).not.toHaveProperty("tags");
    expect(h.one(PIP, "fresh-pip").inputs).not.toHaveProperty("zones");
    expect(h.one(PIP, "fresh-pip").inputs.tags).toEqual({ environment: "dev" });
  });

  test("grants the cluster identity Network Contributor on the IP's own resource group", () => {
    const role = h.one("azure-native:authorization:RoleAssignment", "adopted-network-contributor");
    expect(role.inputs).toMatchObject({
      principalId: "principal-1",
      principalType: "ServicePrincipal",
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
      scope: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net",
    });
    expect(h.all("azure-native:authorization:RoleAssignment").map((r) => r.name)).toEqual([
      "adopted-network-contributor",
    ]);
  });

  test("reports the address the IP has", async () => {
    expect(await valueOf(adopted.address)).toBe("20.249.144.238");
  });
});

describe("IngressGateway", () => {
  const service = () => h.one("kubernetes:core/v1:Service", "gw-service");
  const deployment = () => h.one("kubernetes:apps/v1:Deployment", "gw-deployment");

  test("binds the LoadBalancer Service to the static IP by the AKS name and resource-group annotations", () => {
    expect(service().inputs.metadata).toMatchObject({
      annotations: {
        "service.beta.kubernetes.io/azure-pip-name": "pip-prod",
        "service.beta.kubernetes.io/azure-load-balancer-resource-group": "rg-net",
      },
    });
    const spec = service().inputs.spec as Record<string, unknown>;
    expect(spec.type).toBe("LoadBalancer");
    expect(spec).not.toHaveProperty("loadBalancerIP");
  });

  test("keeps client source addresses with externalTrafficPolicy Local", () => {
    expect((service().inputs.spec as Record<string, unknown>).externalTrafficPolicy).toBe("Local");
  });

  test("creates the Service after the IP and its role assignment, so it is deleted before them", () => {
    const ip = h.one(PIP, "adopted-pip");
    const role = h.one("azure-native:authorization:RoleAssignment", "adopted-network-contributor");
    expect(service().dependsOn).toEqual(expect.arrayContaining([ip.urn, role.urn]));
  });

  test("lets the injector fill the gateway proxy of this revision", () => {
    const template = (deployment().inputs.spec as { template: { metadata: Record<string, Record<string, string>> } })
      .template;
    expect(template.metadata.annotations?.["inject.istio.io/templates"]).toBe("gateway");
    expect(template.metadata.labels).toMatchObject({
      "sidecar.istio.io/inject": "true",
      "istio.io/rev": "1-23-4",
      app: "istio-ingressgateway",
      istio: "ingressgateway",
    });
  });

  test("sets the gateway proxy resources on the istio-proxy container", () => {
    const containers = (deployment().inputs.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
      .template.spec.containers;
    expect(containers).toEqual([
      expect.objectContaining({
        name: "istio-proxy",
        image: "auto",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
      }),
    ]);
  });

  test("leaves the replica count to the HorizontalPodAutoscaler", () => {
    expect(deployment().inputs.spec).not.toHaveProperty("replicas");
    expect(h.one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "gw-hpa").inputs.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { kind: "Deployment", name: "istio-ingressgateway" },
    });
  });

  test("keeps a gateway pod through voluntary disruptions with a PodDisruptionBudget", () => {
    expect(h.one("kubernetes:policy/v1:PodDisruptionBudget", "gw-pdb").inputs.spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: { app: "istio-ingressgateway", istio: "ingressgateway" } },
    });
  });

  test("lets the gateway read only Secrets, in its own namespace", () => {
    const role = h.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "gw-role");
    expect(role.inputs.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list"] }]);
    expect((role.inputs.metadata as Record<string, unknown>).namespace).toBe("istio-ingress");
  });
});

describe("PublicGateway", () => {
  const servers = () =>
    (h.one("kubernetes:networking.istio.io/v1:Gateway", "pub-gateway").inputs.spec as { servers: unknown[] }).servers;

  test("selects the gateway pods by the chart's selector labels", () => {
    expect(gatewaySelector("istio-ingressgateway")).toEqual({
      app: "istio-ingressgateway",
      istio: "ingressgateway",
    });
  });

  test("redirects HTTP to HTTPS for TLS hosts and serves plain hosts on their own HTTP server", () => {
    expect(servers()).toEqual(
      expect.arrayContaining([
        {
          port: { number: 80, name: "http-redirect", protocol: "HTTP" },
          hosts: ["istio-ingress/www.example.com", "istio-ingress/api.example.com"],
          tls: { httpsRedirect: true },
        },
        {
          port: { number: 80, name: "http", protocol: "HTTP" },
          hosts: ["istio-ingress/plain.example.com", "monitoring/monitoring.example.com"],
        },
      ]),
    );
  });

  test("serves one HTTPS server per certificate, at least TLS 1.2", () => {
    expect(servers()).toEqual(
      expect.arrayContaining([
        {
          port: { number: 443, name: "https-example-tls", protocol: "HTTPS" },
          hosts: ["istio-ingress/www.example.com", "istio-ingress/api.example.com"],
          tls: { mode: "SIMPLE", credentialName: "example-tls", minProtocolVersion: "TLSV1_2" },
        },
      ]),
    );
  });

  test("admits routes for a host only from the namespace named for it", () => {
    const hosts = (servers() as { hosts: string[] }[]).flatMap((s) => s.hosts);
    expect(hosts.every((host) => /^[a-z0-9-]+\//.test(host))).toBe(true);
    expect(hosts).toContain("monitoring/monitoring.example.com");
  });

  test("gives every server a unique port name, as Istio requires", () => {
    const names = (servers() as { port: { name: string } }[]).map((s) => s.port.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test("refuses to build a Gateway without hosts", () => {
    expect(() => new ingress.PublicGateway("empty", { name: "g", namespace: "n", selector: {}, hosts: [] })).toThrow(
      /hosts must not be empty/,
    );
  });
});

describe("HostRoutes", () => {
  const vs = () => h.one("kubernetes:networking.istio.io/v1:VirtualService", "routes-www-example-com");

  test("binds one VirtualService per host to the public Gateway", () => {
    expect(vs().inputs.spec).toMatchObject({ hosts: ["www.example.com"], gateways: ["istio-ingress/public-gateway"] });
    expect(vs().inputs.metadata).toMatchObject({ name: "www-example-com", namespace: "istio-ingress" });
  });

  test("orders routes longest prefix first, so / cannot swallow /api/v1", () => {
    const http = (vs().inputs.spec as { http: { match: { uri: { prefix: string } }[] }[] }).http;
    expect(http.map((r) => r.match[0]?.uri.prefix)).toEqual(["/api/v1", "/"]);
  });

  test("sends each prefix to the Service's cluster-local name and port, with its rewrite and timeout", () => {
    const http = (vs().inputs.spec as { http: unknown[] }).http;
    expect(http[0]).toEqual({
      name: "api-api-v1",
      match: [{ uri: { prefix: "/api/v1" } }],
      rewrite: { uri: "/" },
      route: [{ destination: { host: "api.api.svc.cluster.local", port: { number: 8080 } } }],
      timeout: "10s",
    });
    expect(http[1]).toMatchObject({
      name: "web-root",
      route: [{ destination: { host: "web.web.svc.cluster.local" } }],
    });
  });
});

describe("HostRoutes delegation", () => {
  const VS = "kubernetes:networking.istio.io/v1:VirtualService";
  const http = (name: string) => (h.one(VS, name).inputs.spec as { http: Record<string, unknown>[] }).http;

  test("hands a delegated path to the service's VirtualService, keeping its match, rewrite and timeout at the root", () => {
    expect(http("delegating-shop-example-com")[0]).toEqual({
      name: "cart-cart",
      match: [{ uri: { prefix: "/cart" } }],
      rewrite: { uri: "/" },
      delegate: { name: "cart-public", namespace: "shop" },
      timeout: "5s",
    });
  });

  test("routes the other paths of a host directly, as before", () => {
    expect(http("delegating-shop-example-com")[1]).toMatchObject({
      route: [{ destination: { host: "web.web.svc.cluster.local" } }],
    });
  });

  test("renders one delegate per service, in its namespace, with no hosts, gateways or match of its own", () => {
    const delegates = h.all(VS).filter((r) => r.name.startsWith("delegating-delegate-"));
    expect(delegates.map((d) => d.name)).toEqual(["delegating-delegate-cart"]);
    expect(delegates[0]?.inputs.metadata).toMatchObject({ name: "cart-public", namespace: "shop" });
    expect(delegates[0]?.inputs.spec).toEqual({
      http: [
        { name: "cart", route: [{ destination: { host: "cart.shop.svc.cluster.local", port: { number: 8080 } } }] },
      ],
    });
  });
});

describe("DnsRecords", () => {
  test("publishes one A record per host at the ingress address, the apex as @", () => {
    const records = h.all("azure-native:dns:RecordSet");
    expect(records.map((r) => r.inputs.relativeRecordSetName).sort()).toEqual(["@", "www"]);
    for (const r of records) {
      expect(r.inputs).toMatchObject({ zoneName: "example.com", recordType: "A", ttl: 300 });
      expect(r.inputs.aRecords).toEqual([{ ipv4Address: "20.249.144.238" }]);
    }
  });

  test("refuses a host outside the zone", () => {
    expect(() => ingress.relativeRecordName("a.example.org", "example.com")).toThrow(/not in DNS zone example\.com/);
  });
});
