"""The package as a user installs it: `make wheel` (part of `make test`).

1. `python -m build` makes the sdist and, from it, the wheel (into dist/);
2. the wheel must hold every file that git tracks under spacewarp/ (the JavaScript, the
   vendored regl and its licence, py.typed): a file left out of
   [tool.setuptools.package-data] is named here;
3. a fresh venv (.venv-wheel/, made anew each run; no system site-packages, no checkout
   on sys.path) installs the wheel alone, with constraints.txt (torch from local disk);
4. there, from a folder outside the checkout, `spacewarp render`, `spacewarp html` and
   `spacewarp serve --help` must work, and `import spacewarp` must come from the venv.

Run with the project's venv: `.venv/bin/python .ci/check_wheel.py` (it needs `build`,
in the dev extra). Exit status 1 with one line saying what failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
VENV = ROOT / ".venv-wheel"


class WheelCheckFailed(Exception):
    """What the wheel lacks or which command failed, in one line."""


def build_wheel() -> Path:
    """dist/spacewarp-*.whl, built from the sdist by `python -m build`, in a copy of the
    files git tracks (as a fresh clone has them: a stale spacewarp.egg-info left by an
    editable install lists files for the sdist that package-data may lack)."""
    shutil.rmtree(DIST, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="spacewarp-source-") as folder:
        source = Path(folder)
        for name in _tracked():
            if (ROOT / name).is_file():  # (a tracked file deleted but not yet committed)
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, source / name)
        _run([sys.executable, "-m", "build", "--outdir", str(DIST), str(source)],
             "python -m build")
    wheels = sorted(DIST.glob("spacewarp-*.whl"))
    if len(wheels) != 1:
        raise WheelCheckFailed(f"python -m build made {len(wheels)} wheels in dist/, not 1")
    return wheels[0]


def _tracked(folder: str = ".") -> list[str]:
    """The paths git tracks under ``folder``, relative to the repository's root."""
    return subprocess.run(["git", "ls-files", "-z", folder], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.split("\0")[:-1]


def missing_files(wheel: Path) -> list[str]:
    """The files git tracks under spacewarp/ that the wheel does not hold."""
    with zipfile.ZipFile(wheel) as zf:
        held = set(zf.namelist())
    return [name for name in _tracked("spacewarp") if name not in held]


def fresh_venv(wheel: Path) -> Path:
    """A new venv with the wheel and its dependencies installed; its bin/ folder."""
    shutil.rmtree(VENV, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(VENV)], "python -m venv")
    bin_dir = VENV / "bin"
    _run([str(bin_dir / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"),
          str(wheel)], "pip install of the wheel")
    return bin_dir


def run_commands(bin_dir: Path) -> None:
    """render, html and serve --help from the installed wheel, outside the checkout."""
    with tempfile.TemporaryDirectory(prefix="spacewarp-wheel-") as folder:
        out = Path(folder)
        where = _run([str(bin_dir / "python"), "-c", "import spacewarp; print(spacewarp.__file__)"],
                     "import spacewarp", cwd=out).strip()
        if not Path(where).resolve().is_relative_to(VENV.resolve()):
            raise WheelCheckFailed(f"import spacewarp found {where}, not the venv's copy")
        spacewarp = str(bin_dir / "spacewarp")
        _run([spacewarp, "render", "--out", str(out / "render")], "spacewarp render", cwd=out)
        if not (out / "render" / "stages.png").is_file():
            raise WheelCheckFailed("spacewarp render wrote no stages.png")
        _run([spacewarp, "html", "--out", str(out / "page.html")], "spacewarp html", cwd=out)
        if "regl" not in (out / "page.html").read_text(encoding="utf-8"):
            raise WheelCheckFailed("spacewarp html's page holds no regl")
        if "--port" not in _run([spacewarp, "serve", "--help"], "spacewarp serve --help",
                                cwd=out):
            raise WheelCheckFailed("spacewarp serve --help does not list --port")


def _run(command: list[str], what: str, cwd: Path = ROOT) -> str:
    """``command``'s stdout; its stderr's last lines in the failure when it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise WheelCheckFailed(f"{what} failed (exit {done.returncode}): {tail}")
    return done.stdout


def main() -> int:
    try:
        wheel = build_wheel()
        missing = missing_files(wheel)
        if missing:
            raise WheelCheckFailed(f"{wheel.name} lacks {', '.join(missing)}: add them to "
                                   "[tool.setuptools.package-data] in pyproject.toml")
        run_commands(fresh_venv(wheel))
    except WheelCheckFailed as err:
        print(f"wheel check: {err}", file=sys.stderr)
        return 1
    print(f"wheel check: {wheel.name} installs alone; render, html and serve --help work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
