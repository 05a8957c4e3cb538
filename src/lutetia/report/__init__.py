"""Figures and documents: renders analysis results, never computes clinical values."""
