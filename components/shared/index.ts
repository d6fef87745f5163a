export * from "./labels";
export * from "./names";
export * from "./istio";
export * from "./gateway-workload";
