"""Where downloaded datasets live: `~/.cornu/datasets` (moved by `CORNU_HOME`), with `~/.keras/datasets` reused."""

import os
from pathlib import Path

__all__ = ["cache_dir", "find_cached"]


def cache_dir():
    """cornu's dataset folder: `$CORNU_HOME/datasets`, by default `~/.cornu/datasets`."""
    home = os.environ.get("CORNU_HOME") or os.path.join(os.path.expanduser("~"), ".cornu")
    return Path(home) / "datasets"


def find_cached(filename):
    """The first existing copy of `filename`: a path as given, then cornu's cache, then Keras's cache."""
    candidates = [Path(filename).expanduser(), cache_dir() / filename,
                  Path(os.path.expanduser("~")) / ".keras" / "datasets" / filename]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None
