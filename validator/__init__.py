"""validator: a declarative infrastructure validator."""

import time

__version__ = "0.1.0"

# When validator's own code began (the interpreter's start, about 10 ms before, is not counted): ``up -v``
# reports the start-up it spent before its first engine call against this. Here, at the package's first
# line, so that every command (and the layers below them) can read it without importing ``main``.
STARTED = time.perf_counter()
