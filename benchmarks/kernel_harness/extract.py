"""Write the dense pass's small products (the C block of ``_fast.pyx``) to a
header that ``harness.c`` includes: ``python extract.py _fast.pyx out.h``."""

import sys

MARK = "    /* Products of a dense batch"
PRELUDE = """#include <stddef.h>
#include <string.h>
#include <sys/types.h>
typedef ssize_t Py_ssize_t;
#define LINSGD_OUTLINE __attribute__((noinline))
"""


def main(src, out):
    """Copy the C block that starts at ``MARK`` in ``src`` to ``out``.

    Parameters
    ----------
    src : str
        Path of ``sklearn_linsgd/_fast.pyx``.
    out : str
        Path of the header to write (``PRELUDE`` and the block).
    """
    with open(src) as f:
        text = f.read()
    start = text.index(MARK)
    stop = text.index('    """', start)
    with open(out, "w") as f:
        f.write(PRELUDE + text[start:stop])


if __name__ == "__main__":
    main(*sys.argv[1:3])
