export {
  ACCESS_LOG_JSON_FIELDS,
  IstioControlPlane,
  type IstioControlPlaneArgs,
  ISTIO_NAMESPACE,
} from "./control-plane";
export { MeshNamespaces, type MeshNamespacesArgs, REVISION_LABEL } from "./mesh-namespaces";
export type { MeshExtensionProvider } from "./values";
export type { ControlPlaneHandle, MeshConfigContributions } from "./handle";
