"""Speed measurements, run on demand (never timed assertions in tests)."""
