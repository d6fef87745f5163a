// The compatibility table in config validation: a cluster the stack creates must run a Kubernetes version its Istio
// supports and AKS offers on the day of the run. Every case passes its day, so no result depends on when tests run.
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../../config";
import {
  AKS_KUBERNETES_VERSIONS,
  aksOffer,
  compareMinors,
  ISTIO_RELEASES,
  lowestIstioOnAks,
  minorOf,
} from "../../policy/compatibility";
import { readStackConfig } from "../../tools/plan/stack-config";
import { configProblems } from "../support/config";

/** The day the table was read: what AKS and Istio published then is what the rows say. */
const READ_DAY = "2026-11-30";

interface Created {
  istio?: string;
  kubernetesVersion: string;
  tier?: "Free" | "Standard" | "Premium";
  supportPlan?: "KubernetesOfficial" | "AKSLongTermSupport";
}

function raw(c: Created): Record<string, string> {
  const { istio, ...create } = c;
  return {
    // Development: the compatibility table under test, not the production guardrails.
    "aks-mesh:environment": "development",
    "aks-mesh:cluster": JSON.stringify({
      mode: "create",
      resourceGroup: "rg-dev",
      name: "aks-dev",
      create: { location: "koreacentral", ...create },
    }),
    ...(istio ? { "aks-mesh:istio": JSON.stringify({ version: istio }) } : {}),
  };
}

function problemsOf(c: Created, today = READ_DAY): string[] {
  return configProblems(() => parseConfig(raw(c), { project: "aks-mesh", stack: "dev", today }));
}

describe("the compatibility table", () => {
  test("covers Istio 1.23 to 1.30, each row's checked patch within its own minor", () => {
    expect(ISTIO_RELEASES.map((r) => r.minor).sort(compareMinors)).toEqual([
      "1.23",
      "1.24",
      "1.25",
      "1.26",
      "1.27",
      "1.28",
      "1.29",
      "1.30",
    ]);
    for (const r of ISTIO_RELEASES) expect(minorOf(r.checkedPatch)).toBe(r.minor);
  });

  test("records Istio 1.23 as supporting Kubernetes 1.27-1.30 only, the range that strands production", () => {
    expect(ISTIO_RELEASES.find((r) => r.minor === "1.23")?.kubernetes).toEqual(["1.27", "1.28", "1.29", "1.30"]);
  });

  test("lists each AKS version's long-term support ending after its community support", () => {
    for (const v of AKS_KUBERNETES_VERSIONS) {
      expect(v.generallyAvailable < v.communitySupportEnds).toBe(true);
      expect(v.communitySupportEnds < v.longTermSupportEnds).toBe(true);
    }
  });

  test("answers that AKS offers Kubernetes 1.32 only under long-term support once community support has ended", () => {
    expect(aksOffer("1.32.7", "2026-03-31")).toMatchObject({ offered: true, plan: "KubernetesOfficial" });
    expect(aksOffer("1.32.7", "2026-04-01")).toMatchObject({ offered: true, plan: "AKSLongTermSupport" });
    expect(aksOffer("1.32", "2027-04-01")).toMatchObject({ offered: false, reason: "retired" });
  });

  test("finds no Kubernetes version AKS offers for Istio 1.23 after July 2026, and 1.25 as the lowest from December", () => {
    expect(lowestIstioOnAks("2026-12-01")?.release.minor).toBe("1.25");
    expect(lowestIstioOnAks("2026-12-01")?.kubernetes.map((k) => k.minor)).toEqual(["1.32"]);
    expect(
      ISTIO_RELEASES.find((r) => r.minor === "1.23")?.kubernetes.map((k) => aksOffer(k, "2026-08-01").offered),
    ).toEqual([false, false, false, false]);
  });
});

describe("a cluster the stack creates", () => {
  test("is refused on a Kubernetes version AKS no longer offers, with what to choose instead", () => {
    const [problem, ...rest] = problemsOf({ istio: "1.23.4", kubernetesVersion: "1.30" }, "2026-12-01");
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^aks-mesh:cluster\.create\.kubernetesVersion: Kubernetes 1\.30 is no longer offered by AKS/,
    );
    expect(problem).toMatch(/long-term support ended 2026-07-31/);
    expect(problem).toMatch(/move aks-mesh:istio\.version to 1\.25\.5 or later/);
    expect(problem).toMatch(/1\.32 \(LTS only: Premium tier, supportPlan AKSLongTermSupport, until 2027-03-31\)/);
  });

  test("is refused on a Kubernetes version its Istio does not support, naming Istio's range and the choices", () => {
    const [problem] = problemsOf({ istio: "1.25.5", kubernetesVersion: "1.35" });
    expect(problem).toMatch(
      /^aks-mesh:cluster\.create\.kubernetesVersion: Kubernetes 1\.35 is not supported by Istio 1\.25\.5 \(aks-mesh:istio\.version\), which supports Kubernetes 1\.29–1\.32/,
    );
    expect(problem).toContain("https://istio.io/latest/docs/releases/supported-releases/");
    expect(problem).toMatch(
      /choose one that Istio 1\.25 supports and AKS offers today: 1\.31 \(LTS only.*until 2026-11-30\), 1\.32/,
    );
  });

  test("names the revision's key when the stack lists its revisions (istio.revisions)", () => {
    const config = {
      ...raw({ kubernetesVersion: "1.35" }),
      "aks-mesh:istio": JSON.stringify({ revisions: [{ version: "1.25.5", revision: "1-25-5", role: "stable" }] }),
    };
    const [problem] = configProblems(() => parseConfig(config, { project: "aks-mesh", stack: "dev", today: READ_DAY }));
    expect(problem).toMatch(/is not supported by Istio 1\.25\.5 \(aks-mesh:istio\.revisions\[0\]\.version\)/);
  });

  test("is refused as a ConfigError naming the stack file: a RunError, so Pulumi prints no stack trace", () => {
    let error: unknown;
    try {
      parseConfig(raw({ istio: "1.23.4", kubernetesVersion: "1.30" }), {
        project: "aks-mesh",
        stack: "dev",
        today: READ_DAY,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^Invalid configuration in Pulumi\.dev\.yaml \(stack "dev"\)/);
  });

  test("on a version AKS keeps only under LTS, must ask for the Premium tier and the LTS plan", () => {
    const [problem] = problemsOf({ istio: "1.25.5", kubernetesVersion: "1.32", tier: "Standard" });
    expect(problem).toMatch(
      /Kubernetes 1\.32 left AKS community support on 2026-03-31; AKS offers it only under long-term support until 2027-03-31/,
    );
    expect(problem).toMatch(
      /Set aks-mesh:cluster\.create\.tier: Premium and aks-mesh:cluster\.create\.supportPlan: AKSLongTermSupport/,
    );
  });

  test("may not ask for the LTS plan without the Premium tier, which AKS requires for it", () => {
    expect(problemsOf({ istio: "1.29.6", kubernetesVersion: "1.35", supportPlan: "AKSLongTermSupport" })).toEqual([
      expect.stringMatching(
        /^aks-mesh:cluster\.create\.supportPlan: AKSLongTermSupport needs aks-mesh:cluster\.create\.tier: Premium/,
      ),
    ]);
  });

  test("passes on a pair Istio supports and AKS offers: Istio 1.25.5 on 1.32 with LTS, Istio 1.29.6 on 1.35", () => {
    expect(
      problemsOf({ istio: "1.25.5", kubernetesVersion: "1.32", tier: "Premium", supportPlan: "AKSLongTermSupport" }),
    ).toEqual([]);
    expect(problemsOf({ istio: "1.29.6", kubernetesVersion: "1.35.2" })).toEqual([]);
  });

  test("is refused on a version AKS has not made generally available yet on that day", () => {
    const [problem] = problemsOf({ istio: "1.30.3", kubernetesVersion: "1.36" }, "2026-05-01");
    expect(problem).toMatch(/Kubernetes 1\.36 is not generally available in AKS before 2026-06-30/);
  });
});

describe("the Istio version", () => {
  test.each(["1.22.8", "1.31.0"])("is refused outside the table's minors (%s)", (version) => {
    const problems = problemsOf({ istio: version, kubernetesVersion: "1.35" });
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^aks-mesh:istio\\.version: ${version.replace(/\./g, "\\.")} is not in the compatibility table of Istio releases \\(1\\.23–1\\.30`,
        ),
      ),
    ]);
  });

  test("of an existing cluster is left to the pack's advisory: prod's 1.23.4 still validates", () => {
    expect(() =>
      parseConfig(
        {
          "aks-mesh:cluster": JSON.stringify({ resourceGroup: "rg", name: "aks" }),
          "aks-mesh:istio": '{"version":"1.23.4","revision":"1-23-4"}',
          "aks-mesh:ingressGateway": JSON.stringify({
            autoscaling: { minReplicas: 2 },
            podDisruptionBudget: { minAvailable: 1 },
          }),
        },
        { project: "aks-mesh", stack: "prod", today: READ_DAY },
      ),
    ).not.toThrow();
  });
});

describe("the committed dev stack", () => {
  const dev = readStackConfig(path.resolve(__dirname, "../.."), "dev");

  test("creates its cluster on a pair the table accepts on the day it was read", () => {
    const cfg = parseConfig(dev.config, { project: "aks-mesh", stack: "dev", today: READ_DAY });
    expect(cfg.istio.version).toBe("1.25.5");
    expect(cfg.cluster.create).toMatchObject({
      kubernetesVersion: "1.32",
      tier: "Premium",
      supportPlan: "AKSLongTermSupport",
    });
  });

  test("is refused once AKS's long-term support of Kubernetes 1.32 ends, so dev moves before AKS stops serving it", () => {
    expect(() => parseConfig(dev.config, { project: "aks-mesh", stack: "dev", today: "2027-04-01" })).toThrow(
      /aks-mesh:cluster\.create\.kubernetesVersion: Kubernetes 1\.32 is no longer offered by AKS/,
    );
  });
});
