"""pytest collects the notebooks once, from notebooks/, never the copies in _build/."""

import shutil
import subprocess
import sys

from book import NOTEBOOKS, REPO_ROOT


def test_nbval_collects_notebooks_but_not_build_copies():
    built_copy = REPO_ROOT / "_build" / "html" / "_sources" / "notebooks" / NOTEBOOKS[0].name
    created = not built_copy.exists()
    if created:  # make sure there is a copy to ignore, as after `make book`
        built_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(NOTEBOOKS[0], built_copy)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval", "-p", "no:cacheprovider", "."],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        )
    finally:
        if created:
            built_copy.unlink()
    collected = result.stdout.splitlines()
    assert any(line.startswith(f"notebooks/{NOTEBOOKS[0].name}::") for line in collected), result.stdout[-2000:]
    assert not [line for line in collected if line.startswith("_build/")]
