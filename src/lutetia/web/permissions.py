"""Who may do what: the role sets every route checks (site visibility is checked per patient).

Read access: every role, limited to the user's sites.  Writes: only the roles named here;
statisticians and monitors never write (HTTP 403).
"""

from __future__ import annotations

from typing import Final

ALL_ROLES: Final = frozenset({"physician", "physicist", "coordinator", "data_manager", "statistician", "monitor",
                              "admin"})
ENTER_DATA: Final = frozenset({"coordinator", "data_manager", "physician"})
ENROL: Final = frozenset({"coordinator", "physician"})
SIGN: Final = frozenset({"physician"})
REVIEW_DOSIMETRY: Final = frozenset({"physicist"})
DASHBOARD: Final = frozenset({"statistician", "monitor", "data_manager", "admin", "physician"})
AUDIT_TRAIL: Final = frozenset({"monitor", "data_manager", "statistician", "admin"})
