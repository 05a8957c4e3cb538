"""Clinical assessments: CTCAE grading, renal function, PCWG3 PSA and bone, RECIST 1.1,
RECIP 1.0, FDG and SPECT response, AESIs.

Criteria live as data in ``lutetia/assess/criteria/*.toml`` (verbatim source text beside a
small machine form); one engine per family reads them.  Engines are pure functions over
the simple typed inputs defined here.
"""
