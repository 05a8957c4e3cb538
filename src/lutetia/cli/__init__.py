"""The command-line shell: parse, call the core, render, persist."""
