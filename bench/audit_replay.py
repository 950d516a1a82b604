"""Record the disclosure audits of a release and replay them with other code: is what is
hidden the same, and what does it cost?

- `python -m bench.audit_replay record DATABASE_URL DIRECTORY`: runs `bench.audit` (the
  first release of every group, then the next after 2 % more responses) and keeps every
  `audit()` call's inputs and hidden numbers in DIRECTORY (one pickle per call);
- `python -m bench.audit_replay replay FILE...`: runs each recorded audit again with the
  `analysis` package on PYTHONPATH and prints, per call, the CPU seconds
  (`time.process_time`) and whether the hidden numbers are exactly the recorded ones;
  exits 1 if any differ.

Recording with one worktree and replaying with another compares two versions of the
audit on exactly the same inputs, without the database or the frames (the audit's
solutions decide what is hidden, so any change to the programs it solves can show here).
The database is changed by `record` (releases, responses added): give it a copy.
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path
from typing import Any


def record(url: str, directory: Path) -> None:
    import analysis.publication as publication
    import bench.audit

    directory.mkdir(parents=True, exist_ok=True)
    # publish() calls the audit by the name it imported.
    original = vars(publication)["audit"]
    calls = 0

    def recorded(*args: Any) -> Any:
        nonlocal calls
        started = time.process_time()
        report = original(*args)
        seconds = time.process_time() - started
        calls += 1
        with (directory / f"audit{calls:02d}.pkl").open("wb") as out:
            pickle.dump({"args": args, "hidden": report.hidden, "seconds": seconds}, out)
        return report

    vars(publication)["audit"] = recorded
    sys.argv = ["bench.audit", url]
    bench.audit.main()


def replay(files: list[str]) -> bool:
    import numpy as np

    from analysis.disclosure import audit

    same = True
    for name in files:
        with open(name, "rb") as source:
            recorded = pickle.load(source)  # noqa: S301 - our own recording
        started = time.process_time()
        report = audit(*recorded["args"])
        seconds = time.process_time() - started
        equal = bool(np.array_equal(report.hidden, recorded["hidden"]))
        same &= equal
        print(
            f"{name}: {seconds:.2f} s CPU (recorded {recorded.get('seconds', 0.0):.2f} s), "
            f"{int(report.hidden.sum())} hidden, {'same' if equal else 'DIFFERENT'}",
            flush=True,
        )
    return same


def main() -> None:
    if sys.argv[1:2] == ["record"] and len(sys.argv) == 4:
        record(sys.argv[2], Path(sys.argv[3]))
    elif sys.argv[1:2] == ["replay"] and len(sys.argv) > 2:
        sys.exit(0 if replay(sys.argv[2:]) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
