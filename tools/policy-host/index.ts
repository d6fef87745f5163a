// The policy host: serves a CrossGuard policy pack as `pulumi preview --policy-pack DIR --policy-pack-config FILE`
// serves it (start, handshake, configure, Remediate/Analyze per resource, AnalyzeStack), fed a preview pass of the
// program, and reports the violations. It knows nothing of the offline plan: it reads a preview pass through the
// shapes in pass.ts and starts the caller's worker for it (preview.ts). This file is its one public entry: tools/plan
// imports only this, and nothing here imports tools/plan (test/policy-host/fence.test.ts holds both rules).
//   host.ts           the pack process and the engine's gRPC side (FakeEngine)
//   config.ts         the policy config file, reconciled as the engine reconciles it
//   engine.ts         resources as the engine marshals them for Analyze and AnalyzeStack
//   engine-record.ts  what the engine keeps of each registration (a resource monitor feeds an EngineRecorder)
//   preview.ts        the preview pass in a child process
//   run.ts            the policy run: start and configure the pack, analyze a preview pass
//   report.ts         policy.json and the summary's policy section
export type { AnalyzerInfo, EnforcementLevel, PolicyConfigEntry, ReconciledConfig } from "./config";
export { addLiveObjects, PolicyConfigError, readPolicyConfigFile } from "./config";
export type { EngineInvokeRequest, EngineOutputsRequest, EngineRecord, EngineRegisterRequest } from "./engine-record";
export { EngineRecorder } from "./engine-record";
export { PolicyRunError } from "./host";
export type { PassResource, PolicyStack, PreviewPass } from "./pass";
export type { PreviewPassOptions, RunningPreview } from "./preview";
export { answerPreviewPass, PreviewError, startPreviewPass } from "./preview";
export { analyzedCount, countByLevel, policyJson, policyLines } from "./report";
export type { PolicyRunOptions, PolicyRunResult, PolicyTimeouts, PolicyViolation } from "./run";
export { analyzeStack, DEFAULT_TIMEOUTS, policyConfigSource, stackEnvironment, startPolicyPack } from "./run";
