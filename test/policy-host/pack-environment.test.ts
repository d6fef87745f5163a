// The pack's environment against Linux's limit on one environment string: the CLI hands the pack the stack's whole
// config as PULUMI_CONFIG, and a stack file of a few hundred services outgrows what execve accepts.
import path from "node:path";
import {
  LINUX_MAX_ARG_STRLEN,
  oversizedEnvironment,
  PolicyPackProcess,
  PolicyRunError,
  readPackProject,
} from "../../tools/policy-host/host";
import { ROOT } from "../harness";

/** A value that makes "NAME=value" plus its NUL exactly `bytes` long. */
const sized = (name: string, bytes: number) => "x".repeat(bytes - name.length - 2);

test("an environment string counts its name, '=' and NUL, and Linux takes one of exactly 128 KiB", () => {
  expect(oversizedEnvironment({ PULUMI_CONFIG: sized("PULUMI_CONFIG", LINUX_MAX_ARG_STRLEN) }, "linux")).toEqual([]);
});

test("Linux refuses an environment string one byte over 128 KiB, named with its size", () => {
  const env = { PULUMI_STACK: "dev", PULUMI_CONFIG: sized("PULUMI_CONFIG", LINUX_MAX_ARG_STRLEN + 1) };
  expect(oversizedEnvironment(env, "linux")).toEqual([{ name: "PULUMI_CONFIG", bytes: LINUX_MAX_ARG_STRLEN + 1 }]);
});

test("other systems limit only the total, which a single large variable does not reach", () => {
  expect(oversizedEnvironment({ PULUMI_CONFIG: sized("PULUMI_CONFIG", 200 * 1024) }, "darwin")).toEqual([]);
});

(process.platform === "linux" ? test : test.skip)(
  "a stack config too large for one environment variable stops the pack with a PolicyRunError that says why, not spawn E2BIG",
  async () => {
    const start = PolicyPackProcess.start({
      pack: readPackProject(path.join(ROOT, "policy")),
      engineAddress: "127.0.0.1:1",
      env: { PULUMI_CONFIG: JSON.stringify({ "aks-mesh:services": "x".repeat(200 * 1024) }) },
      startTimeoutMs: 1000,
      rpcTimeoutMs: 1000,
    });
    await expect(start).rejects.toThrow(PolicyRunError);
    await expect(start).rejects.toThrow(/PULUMI_CONFIG would be 201 KiB \(the stack's config as JSON\).*128 KiB/);
  },
);
