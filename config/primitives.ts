// Reusable value schemas: each one says in its message what a valid value looks like, because that message is what
// the user reads when a stack file is wrong.
import { z } from "zod";

/**
 * Options for a refinement that relates several fields: it runs only when the fields themselves parsed cleanly, so one
 * typo gives one error (a misspelt key would otherwise leave its default in place and fail the comparison too).
 */
export const whenFieldsValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/** A Kubernetes object name that must also be a DNS label (namespaces, Services). */
export const dnsLabel = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(new RegExp(`^${DNS_LABEL}$`), "must be a DNS label: lowercase letters, digits and '-', e.g. \"shop\"");

/** A fully qualified host name, optionally with one leading wildcard label ("*.example.com"). */
export const hostName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(
    new RegExp(`^(\\*\\.)?(${DNS_LABEL}\\.)+${DNS_LABEL}$`),
    'must be a lowercase fully qualified host name such as "app.example.com"',
  );

/** Kubernetes resource quantities: "100m", "0.5", "128Mi", "1Gi". */
export const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/,
    'must be a Kubernetes quantity such as "100m", "128Mi" or "1Gi"',
  );

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** The value of a quantity in base units (cores or bytes); undefined when it is not a quantity. */
export function quantityValue(q: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) return undefined;
  const unit = m[2] ?? "";
  const factor = BINARY[unit] ?? DECIMAL[unit];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}

export const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

/** Container resources. A limit lower than its request is rejected: the API server would refuse the pod. */
export const resources = z
  .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
  .superRefine((r, ctx) => {
    for (const key of ["cpu", "memory"] as const) {
      const req = r.requests?.[key];
      const lim = r.limits?.[key];
      if (req === undefined || lim === undefined) continue;
      if ((quantityValue(lim) ?? Infinity) < (quantityValue(req) ?? 0)) {
        ctx.addIssue({
          code: "custom",
          path: ["limits", key],
          message: `limit ${lim} is lower than the request ${req}`,
        });
      }
    }
  })
  .meta({ title: "resources" });
export type Resources = z.infer<typeof resources>;

/** Semantic version "MAJOR.MINOR.PATCH" (no "v" prefix, as Helm chart versions are published). */
export const semver = z
  .string()
  .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, 'must be a version "MAJOR.MINOR.PATCH" such as "1.23.4"');

export const ipv4 = z.ipv4({ message: 'must be an IPv4 address such as "20.249.144.238"' });

export const cidr = z.cidrv4({ message: 'must be an IPv4 CIDR such as "203.0.113.0/24"' });

/** Azure resource group names: 1-90 chars of letters, digits, '-', '_', '.', '(' and ')', not ending in '.'. */
export const resourceGroupName = z
  .string()
  .regex(/^[-\w.()]{0,89}[-\w()]$/, "must be an Azure resource group name (letters, digits, '-', '_', '.', '(', ')')");

/** Azure resource names that only allow letters, digits, '-', '_' and '.' (public IPs, clusters). */
export const azureName = z
  .string()
  .regex(
    /^[a-zA-Z0-9][-\w.]{0,78}[\w]$/,
    "must be 2-80 letters, digits, '-', '_' or '.', starting with a letter or digit",
  );

export const durationSeconds = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/, 'must be a duration such as "500ms", "15s" or "2m"');

/** A duration string in milliseconds; undefined when it is not a duration. */
export function durationMs(d: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(d);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[m[2] as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}
