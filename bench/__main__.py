"""Run every benchmark package: ``python -m bench [name ...]``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

#: Run only when named: the year's simulation has its own target (make simulate-year).
ONLY_BY_NAME = {"simulate"}


def main() -> None:
    here = Path(__file__).resolve().parent
    wanted = sys.argv[1:]
    names = sorted(p.parent.name for p in here.glob("*/run.py"))
    for name in names:
        if (wanted and name not in wanted) or (not wanted and name in ONLY_BY_NAME):
            continue
        print(f"== bench/{name} ==", flush=True)
        importlib.import_module(f"bench.{name}.run").main()


if __name__ == "__main__":
    main()
