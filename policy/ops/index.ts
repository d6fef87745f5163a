// ops: operating the mesh. No policy yet: the checks of the operations area (for example the egress ServiceEntries
// derived from the service graph's external hosts, config aks-mesh:services) go here, one file per kind they read,
// listed below. Nothing else changes: the pack (policy/areas.ts) already serves this list.
import type { AreaPolicy } from "../lib/why";

export const opsPolicies: AreaPolicy[] = [];
