"""The experiments `collapse reproduce` runs: exact runs, the limit-law stage, the eta experiment,
the neural lanes, and the job that ties them together."""
