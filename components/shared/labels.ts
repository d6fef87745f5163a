// The labels every Kubernetes object of this program carries, so `kubectl get -l app.kubernetes.io/part-of=aks-mesh`
// lists exactly what the stack owns.
import { MANAGED_BY, MANAGED_BY_LABEL, PART_OF, PART_OF_LABEL } from "../../policy/contract";

export type Labels = Record<string, string>;

/** Standard app.kubernetes.io labels for an object of the given component, plus any extra labels. */
export function meshLabels(component: string, extra: Labels = {}): Labels {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [PART_OF_LABEL]: PART_OF,
    "app.kubernetes.io/component": component,
    ...extra,
  };
}
