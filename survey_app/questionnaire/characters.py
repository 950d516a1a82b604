"""Characters no answer, name or key may hold.

Its own module, without the questionnaire model: the accounts (`survey-app user ...`)
and the request hygiene check names with it, and importing the model (pydantic, the
expression grammar) would cost them a tenth of a second at every start (issue 19).
"""

from __future__ import annotations

import re

__all__ = ["CONTROL_CHARACTERS", "CONTROL_CHARACTERS_IN_NAMES"]

# C0 controls but tab and line breaks, DEL, and lone surrogates (unencodable). PostgreSQL
# refuses NUL in text while SQLite stores it, so refusing them answers the same on both
# databases.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In names, keys, codes and addresses not even tab and line breaks belong.
CONTROL_CHARACTERS_IN_NAMES = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
