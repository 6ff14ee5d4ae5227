// Moved to test/support/ (benchmarks use it too); kept here for the tests that import it from helpers.
export * from "../support/baresip.js";
