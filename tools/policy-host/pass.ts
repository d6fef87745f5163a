// What the policy run reads of a preview pass. The module declares the shapes it consumes instead of importing the
// offline plan's types: tools/plan's StackConfig and RecordedResource satisfy them as they are.
import type { EngineRecord } from "./engine-record";

/** The stack as the engine hands it to a pack (ConfigureStack) and to its default providers. */
export interface PolicyStack {
  project: string;
  stack: string;
  /** "namespace:key" -> value as the program receives it. */
  config: Record<string, string>;
  /** Keys whose value is a secret. */
  secretKeys: string[];
}

/** One registered resource, as the program sent it to the resource monitor. */
export interface PassResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependsOn: string[];
  protect: boolean;
  custom: boolean;
  /** Serialized inputs: secrets as signature objects, unknowns as the unknown sentinel. */
  inputs: Record<string, unknown>;
}

/** A run of the program as `pulumi preview` runs it: what the policy run analyzes. */
export interface PreviewPass {
  stack: PolicyStack;
  resources: PassResource[];
  engine: EngineRecord;
}
