"""The checking library: verdicts, `Check` rows, the bootstrap, and the suites that compare the
bounds with exact, grid, limit-law and neural numbers (THEORY.md section 3)."""
