// What the pack says about each policy beyond @pulumi/policy's fields: the short reason the README's policy table shows
// (npm run docs:policies writes the table from it; test/policy/readme-table.test.ts fails when the README is stale).
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

export interface Why {
  /**
   * Why the policy exists, in a few words, for the README's table: what goes wrong without it. The description holds
   * the full rule and its source (istioctl analyze code, Kyverno, GKE Policy Controller, house rule).
   */
  readonly why: string;
}

/** A policy of the pack: every area lists these, so a policy without its reason does not compile. */
export type AreaPolicy = (ResourceValidationPolicy | StackValidationPolicy) & Why;
