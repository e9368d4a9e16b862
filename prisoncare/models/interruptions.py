"""Treatment interruption episodes computed by the scheduler (issue 5)."""
