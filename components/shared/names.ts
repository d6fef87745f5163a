// Name builders shared by components, so two components never derive the same name two different ways.

/** A host name as a DNS label usable in an object name: "app.example.com" -> "app-example-com". */
export function hostSlug(host: string): string {
  return host.replace(/^\*\./, "wildcard-").replace(/\./g, "-").slice(0, 63).replace(/-+$/, "");
}

/** The cluster-local FQDN of a Service: what Istio destinations should name. */
export function serviceFqdn(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}

/** "namespace/name", the form Istio uses to reference a Gateway from another namespace. */
export function namespacedName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
