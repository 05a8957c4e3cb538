"""Image shell: DICOM/NIfTI in and out, series discovery, calibration, masks, registration.

A shell around the pure physics (:mod:`lutetia.physics` sees only
:class:`~lutetia.physics.volume.ImageVolume` arrays with spacing). Modules import pydicom,
SimpleITK and friends inside functions or at module level *here only*; nothing in the core
imports this package.
"""
