import {
  addonResourcesSet,
  grafanaNoAnonymousAdmin,
  kialiNotAnonymous,
  monitoringNoOpenPrometheus,
  tracingSamplingWithinMax,
} from "../../policy/observability";
import { type Case, type Fixture, istio, runCases } from "./fixtures";

const sized = { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };

function addon(chart: string, values: Record<string, unknown>): Fixture {
  return {
    type: "kubernetes:helm.sh/v3:Release",
    name: `obs-${chart}`,
    props: {
      chart,
      name: chart,
      version: "1.0.0",
      namespace: "monitoring",
      repositoryOpts: { repo: "https://charts.example.com" },
      values,
    },
  };
}

const vs = (paths: string[], annotations?: Record<string, string>) =>
  istio(
    "VirtualService",
    "monitoring",
    {
      hosts: ["monitoring.example.com"],
      gateways: ["istio-ingress/public-gateway"],
      http: paths.map((p) => ({
        name: p.slice(1),
        match: [{ uri: { prefix: p } }],
        route: [{ destination: { host: "x" } }],
      })),
    },
    { namespace: "monitoring", ...(annotations ? { annotations } : {}) },
  );

const cases: Case[] = [
  {
    title: "accepts Kiali with token login",
    policy: kialiNotAnonymous,
    fixtures: [addon("kiali-server", { auth: { strategy: "token" } })],
  },
  {
    title: "rejects anonymous Kiali",
    policy: kialiNotAnonymous,
    fixtures: [addon("kiali-server", { auth: { strategy: "anonymous" } })],
    rejects: /auth strategy "anonymous".*observability\.kiali\.auth/,
  },
  {
    title: "accepts Grafana with anonymous viewers",
    policy: grafanaNoAnonymousAdmin,
    fixtures: [addon("grafana", { "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Viewer" } } })],
  },
  {
    title: "rejects Grafana letting anonymous users in as Admin",
    policy: grafanaNoAnonymousAdmin,
    fixtures: [addon("grafana", { "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Admin" } } })],
    rejects: /anonymous users in as "Admin"/,
  },
  {
    title: "accepts an addon with requests and limits",
    policy: addonResourcesSet,
    fixtures: [addon("jaeger", { jaeger: { resources: sized } })],
  },
  {
    title: "rejects an addon without limits",
    policy: addonResourcesSet,
    fixtures: [addon("grafana", { resources: { requests: sized.requests } })],
    rejects: /no limits\.cpu, limits\.memory at values\.resources/,
  },
  {
    title: "accepts prod sampling at the maximum",
    policy: tracingSamplingWithinMax,
    fixtures: [
      istio("Telemetry", "mesh-default", { tracing: [{ randomSamplingPercentage: 5 }] }, { namespace: "istio-system" }),
    ],
    config: { maxSamplingPercentage: 5 },
  },
  {
    title: "rejects sampling above the stack's maximum",
    policy: tracingSamplingWithinMax,
    fixtures: [
      istio(
        "Telemetry",
        "mesh-default",
        { tracing: [{ randomSamplingPercentage: 100 }] },
        { namespace: "istio-system" },
      ),
    ],
    config: { maxSamplingPercentage: 5 },
    rejects: /samples 100% .* maximum of 5%/,
  },
  {
    title: "accepts a monitoring host without Prometheus",
    policy: monitoringNoOpenPrometheus,
    fixtures: [vs(["/kiali", "/grafana"])],
  },
  {
    title: "accepts Prometheus guarded by the gateway's JWT check",
    policy: monitoringNoOpenPrometheus,
    fixtures: [vs(["/grafana", "/prometheus"], { "aks-mesh.io/jwt-required-paths": "/prometheus" })],
  },
  {
    title: "rejects Prometheus and Alertmanager routed without authentication",
    policy: monitoringNoOpenPrometheus,
    fixtures: [vs(["/prometheus", "/alertmanager"])],
    rejects: /routes \/(prometheus|alertmanager) from the public Gateway without authentication/,
    count: 2,
  },
];

describe("observability policies", () => runCases(cases));
