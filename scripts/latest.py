"""Resolve the newest release of every dependency, for ``make latest`` and ``make lock``.

``make test`` installs the versions ``requirements.lock.txt`` names: the ones the course
was validated with.  Lessons record their libraries' own output (pytest's report, tqdm's
bar, aiohttp's errors, Dask's behaviour), so a new release can change what a lesson
shows though nothing in the course changed.  ``make latest`` sees that coming: this
script resolves the newest versions for every supported Python (``uv pip compile
--universal``, as the lock was made) into the file it is given, prints what differs
from the lock, and ``make latest`` then runs ``make test`` in an environment of those
versions.  ``make lock`` copies the file over the lock once that run passed::

    python scripts/latest.py .latest/requirements.lock.txt
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock.txt"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)\s*(?:;\s*(.*))?$")


def pins(text: str) -> dict[tuple[str, str], str]:
    """``{(name, marker): version}`` from a lock file's text."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            name = re.sub(r"[-_.]+", "-", match[1]).lower()
            found[(name, match[3] or "")] = match[2]
    return found


def resolve(output: Path) -> None:
    """The newest versions for Python 3.11 and every later one, into ``output``."""
    output.parent.mkdir(parents=True, exist_ok=True)
    uv = Path(sys.executable).parent / "uv"
    subprocess.run(
        [
            str(uv),
            "pip",
            "compile",
            "pyproject.toml",
            "--extra",
            "test",
            "--extra",
            "browser",
            "--extra",
            "site",
            "--universal",
            "--python-version",
            "3.11",
            "--upgrade",
            "--quiet",
            "--custom-compile-command",
            "make lock",
            "-o",
            str(output),
        ],
        cwd=ROOT,
        check=True,
    )


def changes(locked: dict[tuple[str, str], str], newest: dict[tuple[str, str], str]) -> list[str]:
    """One line per package whose version differs: ``tqdm 4.67.1 -> 4.68.0``."""
    lines = []
    for key in sorted(set(locked) | set(newest)):
        old, new = locked.get(key), newest.get(key)
        if old != new:
            name = key[0] + (f" ({key[1]})" if key[1] else "")
            lines.append(f"  {name}: {old or 'not locked'} -> {new or 'gone'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="where to write the newest resolution")
    args = parser.parse_args()
    resolve(args.output)
    lines = changes(pins(LOCK.read_text()), pins(args.output.read_text()))
    print(f"Newest releases against {LOCK.name}:")
    print("\n".join(lines) if lines else "  the same versions: nothing new upstream")
    print("make latest now validates the course with them (make test in its own environment).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
