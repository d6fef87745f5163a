// ingress: the public entry of the mesh — its static IP and the gateway pods public Gateways select.
import type { AreaPolicy } from "../lib/why";
import { asmIngressgatewayLabel } from "./gateway-label";
import { ingressIpProtectedStaticStandard } from "./static-ip";

export const ingressPolicies: AreaPolicy[] = [ingressIpProtectedStaticStandard, asmIngressgatewayLabel];
