"""Data files of the decision engine's imaging reads (see ``imaging_reads.toml``)."""
