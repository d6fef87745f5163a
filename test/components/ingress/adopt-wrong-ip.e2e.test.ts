// StaticIp in its own process (test/support/adopt-wrong-ip.ts): the failure surfaces as an unhandled rejection, which
// is how Pulumi fails a deployment on an error thrown in an apply.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "../../harness";

test("stops before binding the gateway when the adopted IP is not the expected address", () => {
  const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
  const out = execFileSync(process.execPath, [tsNode, "--transpile-only", "test/support/adopt-wrong-ip.ts"], {
    cwd: ROOT,
  }).toString();
  const { registered, errors } = JSON.parse(out) as { registered: string[]; errors: string[] };
  expect(registered).toContain("azure-native:network:PublicIPAddress");
  expect(registered).toContain("kubernetes:apps/v1:Deployment");
  expect(registered).not.toContain("kubernetes:core/v1:Service");
  expect(errors).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/has address 20\.249\.144\.238, but config staticIp\.expectedAddress is 20\.249\.144\.1/),
    ]),
  );
});
