"""Sexual and reproductive health records (issue 6)."""
