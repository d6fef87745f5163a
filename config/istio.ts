// Area "istio" (components/istio): `aks-mesh:istio`, the control plane.
import { z } from "zod";
import type { ConfigArea, MeshConfigContributions, Parsed } from "./area";
import { istioVersionProblem } from "./compatibility";
import { revisionOf } from "./guardrails";
import type { meshKeys } from "./mesh";
import { dnsLabel, resources, semver, whenFieldsValid } from "./primitives";

export const istioSection = z
  .strictObject({
    version: semver
      .superRefine((v, ctx) => {
        if (!/^[0-9]+\.[0-9]+\.[0-9]+$/.test(v)) return; // the format error above already says what is wrong
        const problem = istioVersionProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default("1.23.4")
      .describe(
        "Istio version: the chart versions and the proxy image tag. One of the minors of the compatibility table " +
          "(policy/compatibility.ts), which says which Kubernetes versions each supports.",
      ),
    revision: dnsLabel
      .optional()
      .describe(
        'Control-plane revision: the version with dashes ("1-23-4"), its default. Set it to pin the running revision ' +
          "(required in production): a version that is not the revision's is then refused, since it would upgrade " +
          "that revision and every sidecar in one pulumi up.",
      ),
    chartRepository: z
      .url({ message: "must be a URL" })
      .default("https://istio-release.storage.googleapis.com/charts")
      .describe("Helm repository of the Istio charts."),
    hub: z
      .string()
      .min(1)
      .default("docker.io/istio")
      .describe(
        "Image registry of istiod and the proxies (global.hub). Another registry than Istio's (an ACR mirror) must be " +
          "allowed in policy istio-image-hub-allowed's allowedHubs; production stacks run that policy mandatory.",
      ),
    outboundTrafficPolicy: z
      .enum(["ALLOW_ANY", "REGISTRY_ONLY"])
      .default("ALLOW_ANY")
      .describe("meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY blocks hosts the mesh does not know."),
    accessLog: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Envoy access logs on stdout (meshConfig.accessLogFile)."),
        encoding: z
          .enum(["TEXT", "JSON"])
          .default("JSON")
          .describe(
            "meshConfig.accessLogEncoding. JSON is parsed by Loki without a regex, and its lines carry trace_id (links to Jaeger).",
          ),
      })
      .prefault({})
      .describe("Envoy access logs."),
    pilot: z
      .strictObject({
        minReplicas: z.int().min(1).default(1).describe("istiod replicas (pilot.replicaCount, autoscaleMin)."),
        maxReplicas: z.int().min(1).default(5).describe("istiod autoscaling ceiling (pilot.autoscaleMax)."),
        resources: resources
          .default({ requests: { cpu: "500m", memory: "2Gi" } })
          .describe("istiod container resources (pilot.resources)."),
      })
      .prefault({})
      .refine((p) => p.maxReplicas >= p.minReplicas, {
        message: "maxReplicas must be at least minReplicas",
        ...whenFieldsValid,
      })
      .describe("istiod sizing."),
    proxy: z
      .strictObject({
        resources: resources
          .default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1Gi" } })
          .describe("Sidecar resources (global.proxy.resources): requests 100m/128Mi, memory limit 1Gi by default."),
      })
      .prefault({})
      .describe("Envoy sidecars."),
    helmTimeoutSeconds: z
      .int()
      .min(60)
      .max(3600)
      .default(600)
      .describe("How long a Helm release may take to become ready."),
    namespace: dnsLabel
      .default("istio-system")
      .describe(
        "istiod's namespace and the mesh root namespace (global.istioNamespace); aks-istio-system for the AKS add-on.",
      ),
    revisionTags: z
      .array(
        dnsLabel.refine((t) => t !== "default", {
          message:
            'the tag "default" also takes over istio-injection=enabled namespaces and the default validator, which ' +
            'the istio-base release owns (base.defaultRevision); name the tag after its role instead, e.g. "stable"',
        }),
      )
      .default([])
      .superRefine((tags, ctx) => {
        tags.forEach((t, i) => {
          if (tags.indexOf(t) !== i) ctx.addIssue({ code: "custom", path: [i], message: `"${t}" is listed twice` });
        });
      })
      .describe(
        "Revision tags, made as `istioctl tag set <tag> --revision <istio.revision>` makes them: names namespaces carry " +
          "in istio.io/rev, so a canary upgrade moves a tag, not every namespace (docs/design.md).",
      ),
    injectionTag: dnsLabel
      .optional()
      .describe("The tag (one of revisionTags) namespaces and gateways carry in istio.io/rev; unset, the revision."),
  })
  .superRefine((istio, ctx) => {
    const revision = istio.revision ?? revisionOf(istio.version);
    istio.revisionTags.forEach((t, i) => {
      // istioctl refuses it too (istioctl/pkg/tag/generate.go: "found existing control plane revision with same name").
      if (t === revision) {
        ctx.addIssue({
          code: "custom",
          path: ["revisionTags", i],
          message: `"${t}" is the revision's own name; a tag must name something else`,
        });
      }
    });
    if (istio.injectionTag !== undefined && !istio.revisionTags.includes(istio.injectionTag)) {
      ctx.addIssue({
        code: "custom",
        path: ["injectionTag"],
        message: `"${istio.injectionTag}" is not one of revisionTags (${JSON.stringify(istio.revisionTags)}); add it there first`,
      });
    }
  }, whenFieldsValid)
  .describe("The Istio control plane: Helm releases istio-base and istiod-<revision>, and its revision tags.");

export const istioKeys = { istio: istioSection.prefault({}) };

type IstioParsed = Parsed<typeof istioKeys>;

export const istioArea: ConfigArea<
  typeof istioKeys,
  IstioParsed & Pick<Parsed<typeof meshKeys>, "meshNamespaces">,
  {
    istio: IstioParsed["istio"] & {
      readonly revision: string;
      /** What the other areas contribute to istiod's meshConfig (their `meshConfig`, folded by config/areas.ts). */
      readonly meshConfig: MeshConfigContributions;
    };
  }
> = {
  keys: istioKeys,
  // istio-system itself is refused by meshNamespaces' own schema; another control-plane namespace only here.
  crossChecks: (root, { key: k }) =>
    root.meshNamespaces.flatMap((ns, i) =>
      ns.name === root.istio.namespace
        ? [
            `${k(`meshNamespaces[${i}].name`)}: "${ns.name}" is the control plane's namespace (${k("istio.namespace")}) ` +
              "and must not get sidecars",
          ]
        : [],
    ),
  resolve: (root, { meshConfig }) => ({
    istio: { ...root.istio, revision: root.istio.revision ?? revisionOf(root.istio.version), meshConfig },
  }),
};
