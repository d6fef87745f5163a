// The ingress gateway's public IP: every DNS name of the mesh points at it, so it must survive any `pulumi up` or
// `destroy` (protect), keep its address when the load balancer is recreated (Static), and be usable by AKS's
// Standard load balancer (Standard SKU; Basic public IPs were retired by Azure on 2025-09-30).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Why } from "../lib/why";
import { at, plain, str, UNKNOWN } from "../lib";

const PUBLIC_IP = "azure-native:network:PublicIPAddress";

export const ingressIpProtectedStaticStandard: ResourceValidationPolicy & Why = {
  name: "ingress-ip-protected-static-standard",
  description:
    "The ingress public IP is protected, Static and Standard SKU: losing or changing it moves every DNS name of the " +
    "mesh, and AKS's Standard load balancer only binds Standard static IPs (AKS static IP docs).",
  enforcementLevel: "mandatory",
  why: "every DNS name points at it; AKS's Standard load balancer binds only Standard static IPs",
  validateResource: (args, report) => {
    if (args.type !== PUBLIC_IP) return;
    const props = plain(args.props);
    const ip = `public IP ${args.name}`;
    if (!args.opts.protect) {
      report(`${ip} is not protected: declare it with { protect: true } so no update or destroy can delete it.`);
    }
    const method = str(at(props, "publicIPAllocationMethod"));
    if (method !== UNKNOWN && method !== "Static") {
      report(`${ip} has allocation method ${method ?? "unset"}: set publicIPAllocationMethod "Static".`);
    }
    const sku = str(at(props, "sku", "name"));
    if (sku !== UNKNOWN && sku !== "Standard") {
      report(`${ip} has SKU ${sku ?? "unset"}: set sku.name "Standard".`);
    }
  },
};
