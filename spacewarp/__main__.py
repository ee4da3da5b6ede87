"""``python -m spacewarp ...``: the same command as ``spacewarp ...`` (and ``python -m
spacewarp.cli``), for environments where the console script is not on the PATH."""

import runpy

runpy.run_module("spacewarp.cli", run_name="__main__", alter_sys=True)
