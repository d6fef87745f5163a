export { destinationRuleSpec, type DestinationRuleSpec } from "./destination-rule";
export { Traffic, type TrafficArgs } from "./traffic";
export { GlobalRateLimit, type GlobalRateLimitArgs } from "./global-rate-limiter";
