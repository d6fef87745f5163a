// Two projects: `unit` (npm test: mocks only, no child process, well under a minute) and `e2e` (npm run test:e2e:
// the plan CLI, the preview pass, the policy pack served over gRPC, whole stacks). A test is end to end when its file
// is named *.e2e.test.ts. `npx jest <file>` runs any file of either project.
const common = {
  testEnvironment: "node",
  rootDir: __dirname,
  roots: ["<rootDir>/test"],
  transform: {
    // Type-checking is `npm run typecheck`'s job; the tests only need the JavaScript (tsconfig's isolatedModules makes
    // ts-jest transpile file by file).
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Each test file sets its own Pulumi mocks; the runtime is global state, so files stay in their own workers.
  maxWorkers: 2,
  // Jest reads the test timeout from the top level only; e2e files raise it in their setup file.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "\\.e2e\\.test\\.ts$"],
    },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["**/*.e2e.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/support/e2e-setup.ts"],
    },
  ],
};
