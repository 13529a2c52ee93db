"""``python -m sklearn_linsgd``: the demo (see :mod:`sklearn_linsgd._demo`)."""

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main())
