import { type Policies, PolicyPack } from "@pulumi/policy";

// The pack's policies, one list per area; an area adds its list here.
const policies: Policies = [];

new PolicyPack("aks-mesh", { policies });
