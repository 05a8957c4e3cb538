"""Dosimetry and radiobiology core of Lutetia (pure, typed, no I/O).

Modules: :mod:`decay` (177Lu decay data), :mod:`tac` (time-activity fits and TIA),
:mod:`stp` (single-time-point TIA), :mod:`mird` (organ doses), :mod:`kernel` and
:mod:`voxel` (voxel dosimetry), :mod:`radiobiology` (BED/EQD2), :mod:`ledger` and
:mod:`prescribe` (cross-cycle ledger and activity solver).
"""
