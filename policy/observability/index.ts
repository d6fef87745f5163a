// observability: the addons (Prometheus, Grafana, Kiali, tracing) — who can reach them, what they may use.
import {
  addonResourcesSet,
  grafanaNoAnonymousAdmin,
  kialiNotAnonymous,
  monitoringNoOpenPrometheus,
  tracingSamplingWithinMax,
} from "./addons";

export const observabilityPolicies = [
  kialiNotAnonymous,
  grafanaNoAnonymousAdmin,
  addonResourcesSet,
  tracingSamplingWithinMax,
  monitoringNoOpenPrometheus,
];
