"""Lutetia: the treatment system for personalised 177Lu-PSMA-617 radioligand therapy.

The package is a functional core (``units``, ``records``, ``physics``, ``assess``,
``protocols``, ``decide``, ``analysis``, ``simulate``) with a thin shell (``store``,
``report``, ``cli``).  The core does no I/O, reads no clock and uses no global randomness.
"""

__version__ = "0.1.0"
