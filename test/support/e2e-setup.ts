// End-to-end tests run whole plans (three processes each): about 10 s alone, minutes on a loaded 2-core machine. Jest's
// timeout only stops a test that hangs; the deadlines a test exercises are the product's own, given by option.
jest.setTimeout(600_000);
export {};
