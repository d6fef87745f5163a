// Validates Istio objects with the schemas of @kubernetes-models/istio (an ESM-only package, hence this child
// process). Reads a JSON array of Kubernetes objects on stdin; prints a JSON array of
// {kind, name, error} for every Istio object whose spec the schema rejects (types, enums, required fields, oneOf).
import { readFileSync } from "node:fs";

const objects = JSON.parse(readFileSync(0, "utf8"));
const problems = [];
let checked = 0;
for (const obj of objects) {
  const [group, version] = String(obj.apiVersion ?? "").split("/");
  if (!group?.endsWith("istio.io") || !version) continue;
  let Model;
  try {
    Model = (await import(`@kubernetes-models/istio/${group}/${version}/${obj.kind}`))[obj.kind];
  } catch {
    problems.push({ kind: obj.kind, name: obj.metadata?.name, error: `no schema for ${obj.apiVersion} ${obj.kind}` });
    continue;
  }
  checked++;
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push({ kind: obj.kind, name: obj.metadata?.name, error: String(e.message ?? e) });
  }
}
process.stdout.write(JSON.stringify({ checked, problems }));
