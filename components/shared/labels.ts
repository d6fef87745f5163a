// The labels every Kubernetes object of this program carries, so `kubectl get -l app.kubernetes.io/part-of=aks-mesh`
// lists exactly what the stack owns.
export const PART_OF = "aks-mesh";

export type Labels = Record<string, string>;

/** Standard app.kubernetes.io labels for an object of the given component, plus any extra labels. */
export function meshLabels(component: string, extra: Labels = {}): Labels {
  return {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/component": component,
    ...extra,
  };
}
