"""Write the dense pass's small products (``sklearn_linsgd/_fast_small.h``)
with a prelude to a header that ``harness.c`` includes:
``python extract.py _fast_small.h out.h``."""

import sys

PRELUDE = """#include <stddef.h>
#include <string.h>
#include <sys/types.h>
typedef ssize_t Py_ssize_t;
#define LINSGD_OUTLINE __attribute__((noinline))
"""


def main(src, out):
    """Write ``PRELUDE`` and the header ``src`` to ``out``.

    Parameters
    ----------
    src : str
        Path of ``sklearn_linsgd/_fast_small.h`` (the extension includes it
        after ``_fast_kernels.h``, which defines what ``PRELUDE`` defines).
    out : str
        Path of the header to write.
    """
    with open(src) as f:
        text = f.read()
    with open(out, "w") as f:
        f.write(PRELUDE + text)


if __name__ == "__main__":
    main(*sys.argv[1:3])
