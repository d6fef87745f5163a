// End-to-end tests run whole plans (three processes each): about 10 s alone, minutes on a loaded 2-core machine. Jest's
// timeout (30 min: a hook may run three plans on a busy machine) only stops a test that hangs; the deadlines a test
// exercises are the product's own, given by option.
jest.setTimeout(1_800_000);
export {};
