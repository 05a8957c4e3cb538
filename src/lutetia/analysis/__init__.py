"""Trial analysis: survival (Kaplan–Meier, log-rank, Cox), rates with exact intervals, paired
tests, sample size and power, PRO scoring and CDISC-style (ADaM-like) dataset builders.

Pure functions over plain data: no I/O, no printing, no clock.  Endpoint derivation from the
store builds on these functions.
"""
