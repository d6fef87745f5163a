// How big the stack's config is as Pulumi hands it over. The language host passes the whole config to the program as
// one environment variable, PULUMI_CONFIG (JSON of every key; pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs
// Run), and the CLI passes it to a policy pack the same way (sdk/go/common/resource/plugin/analyzer_plugin.go
// constructEnv). Linux refuses to start a process with one environment string of 128 KiB or more (MAX_ARG_STRLEN, 32
// pages of 4 KiB, include/uapi/linux/binfmts.h): past it `pulumi preview` fails before the program runs, with
// "argument list too long". The program can only see a config that still fits, so it warns on the way there.

/** Linux's MAX_ARG_STRLEN: the largest "NAME=value" string of an environment, its terminating NUL included. */
export const MAX_ENVIRONMENT_STRING = 32 * 4096;
/** Warn from this share of the limit on: room for a few dozen more services of a typical shape. */
export const CONFIG_SIZE_WARNING_SHARE = 0.75;

/** The bytes PULUMI_CONFIG takes as the language host builds it (JSON of the key -> text map). */
export function configEnvironmentBytes(raw: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(`PULUMI_CONFIG=${JSON.stringify(raw)}`) + 1;
}

/** A warning once the config passes CONFIG_SIZE_WARNING_SHARE of what Linux lets Pulumi pass; undefined below. */
export function configSizeWarning(raw: Readonly<Record<string, string>>, stack: string): string | undefined {
  const bytes = configEnvironmentBytes(raw);
  if (bytes < MAX_ENVIRONMENT_STRING * CONFIG_SIZE_WARNING_SHARE) return undefined;
  const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;
  return (
    `Pulumi.${stack}.yaml: the stack's config is ${kib(bytes)} as Pulumi passes it to the program and the policy ` +
    `pack (one environment variable, PULUMI_CONFIG), of the ${kib(MAX_ENVIRONMENT_STRING)} Linux allows one: past ` +
    "that, pulumi preview stops before the program starts (argument list too long). Move repeated per-service " +
    "settings into aks-mesh:traffic.presets, or split the stack."
  );
}
