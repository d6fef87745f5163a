// Anomaly detection in plain PromQL, no AI service: recording rules keep, per service, the request rate and 5xx ratio,
// a one-week mean and standard deviation of each, and a seasonal prediction of the request rate from the same hour of
// the last three weeks (median of the three, shifted by the week-on-week trend). The z-score of the current value
// against that baseline is itself recorded, so the alert, the overview dashboard and any later analysis read one
// series. docs/observability.md "Anomaly alerts" explains how these series can feed an AI analysis later.
import type { RecordingRule, RuleGroup } from "./types";

/** The labels that identify a service in Istio's standard metrics. */
export const SERVICE_LABELS = "destination_service_namespace, destination_service_name";

export const SERIES = {
  rate: "service:istio_requests:rate5m",
  errorRatio: "service:istio_requests_5xx:ratio_rate5m",
  rateMean: "service:istio_requests:rate5m:avg_over_time_1w",
  rateStddev: "service:istio_requests:rate5m:stddev_over_time_1w",
  ratePrediction: "service:istio_requests:rate5m:prediction",
  rateZScore: "service:istio_requests:rate5m:zscore",
  errorMean: "service:istio_requests_5xx:ratio_rate5m:avg_over_time_1w",
  errorStddev: "service:istio_requests_5xx:ratio_rate5m:stddev_over_time_1w",
  errorZScore: "service:istio_requests_5xx:ratio_rate5m:zscore",
} as const;

const requests = (selector: string) =>
  `sum by (${SERVICE_LABELS}) (rate(istio_requests_total{reporter="destination"${selector}}[5m]))`;

/** The 4 hours centred on the same time 1, 2 and 3 weeks ago, each corrected by that week-on-week trend. */
function seasonalPrediction(): string {
  const weeks = [1, 2, 3].map(
    (w) =>
      `label_replace(avg_over_time(${SERIES.rate}[4h] offset ${w * 168 - 2}h) + ${SERIES.rateMean} - ` +
      `${SERIES.rateMean} offset ${w}w, "offset", "${w}w", "", "")`,
  );
  return `quantile without (offset) (0.5, ${weeks.join(" or ")})`;
}

export function baselineRuleGroups(): RuleGroup<RecordingRule>[] {
  return [
    {
      name: "service-golden-signals",
      interval: "1m",
      rules: [
        { record: SERIES.rate, expr: requests("") },
        {
          record: SERIES.errorRatio,
          expr: `${requests(', response_code=~"5.."')} / ${requests("")}`,
        },
      ],
    },
    {
      // One week of 1-minute samples per service: evaluated every 5 minutes, it is cheap enough for one cluster.
      name: "service-baselines-1w",
      interval: "5m",
      rules: [
        { record: SERIES.rateMean, expr: `avg_over_time(${SERIES.rate}[1w])` },
        { record: SERIES.rateStddev, expr: `stddev_over_time(${SERIES.rate}[1w])` },
        { record: SERIES.errorMean, expr: `avg_over_time(${SERIES.errorRatio}[1w])` },
        { record: SERIES.errorStddev, expr: `stddev_over_time(${SERIES.errorRatio}[1w])` },
        { record: SERIES.ratePrediction, expr: seasonalPrediction() },
      ],
    },
    {
      name: "service-anomaly-scores",
      interval: "1m",
      rules: [
        {
          record: SERIES.rateZScore,
          expr: `(${SERIES.rate} - ${SERIES.ratePrediction}) / (${SERIES.rateStddev} > 0)`,
        },
        {
          record: SERIES.errorZScore,
          expr: `(${SERIES.errorRatio} - ${SERIES.errorMean}) / (${SERIES.errorStddev} > 0)`,
        },
      ],
    },
  ];
}
