/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type-checking is `npm run typecheck`'s job; the tests only need the JavaScript.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  // Each test file sets its own Pulumi mocks; the runtime is global state, so files stay in their own workers.
  maxWorkers: 2,
  testTimeout: 60000,
};
