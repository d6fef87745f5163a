export { destinationRuleSpec, type DestinationRuleSpec } from "./destination-rule";
export { Traffic, type TrafficArgs } from "./traffic";
