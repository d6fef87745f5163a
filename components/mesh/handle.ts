import type * as pulumi from "@pulumi/pulumi";

/** What other areas need of the application side of the mesh. */
export interface MeshHandle {
  /**
   * What an object placed in an application namespace waits for: the Namespace this stack creates there, or the
   * patch that enrols an existing one; nothing for a namespace the stack does not manage.
   */
  namespaceReady(namespace: string): pulumi.Resource[];
}
