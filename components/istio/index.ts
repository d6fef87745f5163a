export { IstioControlPlane, type IstioControlPlaneArgs } from "./control-plane";
export { crdTemplatesAreDefault, IstioBase, type IstioBaseArgs } from "./base";
export { ACCESS_LOG_JSON_FIELDS, istiodName, IstiodRevision, type IstiodRevisionArgs } from "./istiod-revision";
export { revisionTagWebhook, revisionTagWebhookName, type RevisionTagArgs, TAG_LABEL } from "./revision-tags";
export { REVISION_LABEL } from "../../policy/contract";
export type { ControlPlaneHandle, MeshConfigContributions } from "./handle";
export type { MeshExtensionProvider } from "../../config";
