// What the program writes, as the pack reads it: both sides take these strings from policy/contract.ts.
import { meshLabels } from "../../components/shared/labels";
import { PART_OF_LABEL } from "../../policy/contract";
import { kubeObject } from "../../policy/lib";
import { ownedByStack } from "../../policy/live";

const configMap = (labels: Record<string, string>) =>
  kubeObject("kubernetes:core/v1:ConfigMap", { metadata: { name: "x", namespace: "web", labels } }, "urn:x");

test("the pack counts an object labelled by the program as the stack's own, not as a live object", () => {
  const object = configMap(meshLabels("ingress"));
  expect(object && ownedByStack(object)).toBe(true);
});

test("the pack counts an object without the program's part-of label as made outside the stack", () => {
  const { [PART_OF_LABEL]: _partOf, ...others } = meshLabels("ingress");
  const object = configMap(others);
  expect(object && ownedByStack(object)).toBe(false);
});
