import os
import sys

from . import main

code = main()
if code == 130:  # interrupted: the cleanup is done and said; exit now, with 130. An
    # interrupt that landed while a worker thread was starting could otherwise end the
    # interpreter's shutdown by SIGINT itself (-2 instead of 130, seen once under load)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
