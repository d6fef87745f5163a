export type { MeshHandle } from "./handle";
export { Mesh, type MeshArgs } from "./mesh";
export { MeshNamespaces, type MeshNamespacesArgs } from "./mesh-namespaces";
export {
  DEFAULT_SIDECAR_NAME,
  sidecarEgressHosts,
  sidecarNamespaces,
  sidecarSpec,
  type SidecarScope,
} from "./sidecars";
