"""Virtual mCRPC patients and in-silico trials; the random generator is always passed in.

Every number of the virtual-patient model is a *simulation assumption, not a clinical
fact*, documented with its source in ``params/virtual_patients.toml``.

>>> import numpy as np
>>> from lutetia.simulate import run_trial
>>> result = run_trial("prodigy-2", 40, np.random.default_rng(1), engine="vector", with_records=False)
>>> [s.arm for s in result.summaries]
['personalised', 'fixed']
"""

from lutetia.simulate.cohort import Cohort, Innovations, draw_innovations, generate_cohort
from lutetia.simulate.engine import EnginePolicy
from lutetia.simulate.model import Action, CohortSim, Decision, Phase, Point, run_model
from lutetia.simulate.parameters import LABEL, Parameters, load_parameters
from lutetia.simulate.records import patient_record, patient_records
from lutetia.simulate.rules import ArmRules, arm_rules
from lutetia.simulate.trial import ArmSummary, TrialResult, population_of, run_trial, screen
from lutetia.simulate.vector import vector_policy

__all__ = [
    "LABEL", "Action", "ArmRules", "ArmSummary", "Cohort", "CohortSim", "Decision", "EnginePolicy", "Innovations",
    "Parameters", "Phase", "Point", "TrialResult", "arm_rules", "draw_innovations", "generate_cohort",
    "load_parameters", "patient_record", "patient_records", "population_of", "run_model", "run_trial", "screen",
    "vector_policy",
]
