// The stack's config travels to the program and the policy pack as one environment variable; Linux caps one at
// 128 KiB. The program warns before a stack file grows into that wall.
import { spawnSync } from "node:child_process";
import {
  CONFIG_SIZE_WARNING_SHARE,
  configEnvironmentBytes,
  configSizeWarning,
  MAX_ENVIRONMENT_STRING,
} from "../../config/size";

/** A config whose PULUMI_CONFIG string is exactly `bytes` long. */
function configOf(bytes: number): Record<string, string> {
  const empty = configEnvironmentBytes({ "aks-mesh:services": "" });
  return { "aks-mesh:services": "x".repeat(bytes - empty) };
}

test("counts PULUMI_CONFIG as the language host builds it: the JSON of every key, its name and the NUL", () => {
  expect(configEnvironmentBytes({ "aks-mesh:a": "b" })).toBe(Buffer.byteLength('PULUMI_CONFIG={"aks-mesh:a":"b"}') + 1);
});

test("stays quiet for a config well below the limit", () => {
  expect(
    configSizeWarning(configOf(Math.floor(MAX_ENVIRONMENT_STRING * CONFIG_SIZE_WARNING_SHARE) - 1), "prod"),
  ).toBeUndefined();
});

test("warns, naming the stack file and the limit, from three quarters of the limit on", () => {
  const warning = configSizeWarning(configOf(Math.ceil(MAX_ENVIRONMENT_STRING * CONFIG_SIZE_WARNING_SHARE)), "prod");
  expect(warning).toMatch(/^Pulumi\.prod\.yaml: the stack's config is 96 KiB .* of the 128 KiB Linux allows one/);
  expect(warning).toMatch(/aks-mesh:traffic\.presets/);
});

test.each([
  ["starts", MAX_ENVIRONMENT_STRING, 0],
  ["refuses", MAX_ENVIRONMENT_STRING + 1, null],
])("the limit is Linux's: a process %s with a PULUMI_CONFIG of %i bytes", (_what, bytes, status) => {
  if (process.platform !== "linux") return;
  const value = JSON.stringify(configOf(bytes));
  const child = spawnSync(process.execPath, ["-e", ""], { env: { PULUMI_CONFIG: value } });
  expect(child.status).toBe(status);
});
