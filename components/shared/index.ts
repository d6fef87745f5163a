export * from "./labels";
export * from "./names";
export * from "./istio";
