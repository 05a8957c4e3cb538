"""Patient-reported outcomes: EQ-5D-5L index, FACT-G/FACT-P, BPI-SF, MSGS answers, changes.

FACIT, EQ-5D and BPI instruments are copyrighted; their use needs a licence or permission
from their owners (FACIT.org, the EuroQol Group, C. S. Cleeland).  Only scoring rules are
implemented here, never item wording.
"""
