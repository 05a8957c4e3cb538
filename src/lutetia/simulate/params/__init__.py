"""Data files of the virtual-patient model (``virtual_patients.toml``)."""
