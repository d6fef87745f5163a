// observability: the addons (Prometheus, Grafana, Kiali, tracing) — who can reach them, what they may use.
import type { AreaPolicy } from "../lib/why";
import {
  addonResourcesSet,
  grafanaNoAnonymousAdmin,
  kialiNotAnonymous,
  monitoringNoOpenPrometheus,
  tracingSamplingWithinMax,
} from "./addons";

export const observabilityPolicies: AreaPolicy[] = [
  kialiNotAnonymous,
  grafanaNoAnonymousAdmin,
  addonResourcesSet,
  tracingSamplingWithinMax,
  monitoringNoOpenPrometheus,
];
