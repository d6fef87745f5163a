// Kubeconfig handling for AKS credentials. Pure functions, tested without a cluster.
import YAML from "yaml";

export type KubeloginMode = "azurecli" | "workloadidentity" | "msi" | "spn";

interface ExecConfig {
  command?: string;
  args?: string[];
}
interface KubeconfigDoc {
  users?: { name?: string; user?: { exec?: ExecConfig } }[];
}

/** Decodes a kubeconfig as returned by the AKS list*Credentials APIs (base64). */
export function decodeKubeconfig(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/**
 * On Entra ID clusters the user kubeconfig runs `kubelogin get-token --login devicecode`, which would stop a
 * non-interactive `pulumi up` at a device-code prompt. Switch it to the given login mode, as
 * `kubelogin convert-kubeconfig -l <mode>` does. Kubeconfigs without kubelogin (certificate auth) pass unchanged.
 */
export function useKubeloginMode(kubeconfig: string, mode: KubeloginMode): string {
  const doc = YAML.parse(kubeconfig) as KubeconfigDoc | null;
  let changed = false;
  for (const user of doc?.users ?? []) {
    const exec = user.user?.exec;
    if (!exec?.args || !(exec.command ?? "").endsWith("kubelogin")) continue;
    const args: string[] = [];
    for (let i = 0; i < exec.args.length; i++) {
      const arg = exec.args[i] as string;
      if (arg === "--login") {
        i++; // drop the old mode; the new one is appended below
        continue;
      }
      // The device-code client id only makes sense for devicecode/interactive logins.
      if (arg === "--client-id" && (mode === "azurecli" || mode === "msi")) {
        i++;
        continue;
      }
      args.push(arg);
    }
    exec.args = [...args, "--login", mode];
    changed = true;
  }
  return changed ? YAML.stringify(doc) : kubeconfig;
}
