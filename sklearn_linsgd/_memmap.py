"""Batches of a file-backed ``np.memmap`` read without mapping the file.

Gathering rows through the mapping faults whole page-cache folios into the
process (about 1 MB each on current kernels), so a shuffled epoch over a memmap
ends with the whole file resident. Reading the rows of each batch with
``os.preadv`` copies them from the page cache into the batch buffer instead:
the process holds only the buffer, whatever the size of the file.

This module imports numpy and the standard library only.
"""

import mmap
import os

import numpy as np


def _file_memmap(X):
    """The ``np.memmap`` whose file holds ``X`` (a view of it), else None."""
    base = X
    for _ in range(64):  # views of views: short chains, but bounded
        if base is None or isinstance(base, mmap.mmap):
            return None
        # The memmap that owns the mapping (a slice of a memmap is a memmap
        # too, but its ``offset`` is its parent's).
        if isinstance(base, np.memmap) and isinstance(base.base, mmap.mmap):
            # copy-on-write pages hold private changes that the file lacks
            if base.filename is None or getattr(base, "mode", "r") == "c":
                return None
            return base
        base = getattr(base, "base", None)
    return None


class FileRows:
    """Read rows of a C-contiguous view of a file-backed memmap by ``preadv``.

    Parameters
    ----------
    fd : int
        A file descriptor open for reading.
    offset : int
        Byte offset of row 0 in the file.
    shape : tuple of int
        Shape of the 2-D array.
    dtype : numpy dtype
        Its dtype.
    """

    def __init__(self, fd, offset, shape, dtype):
        self.fd = fd
        self.offset = offset
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.row_bytes = self.dtype.itemsize * int(shape[1])

    @classmethod
    def from_array(cls, X):
        """A reader for ``X`` when it is a C-contiguous memmap view, else None."""
        if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.flags.c_contiguous):
            return None
        if not hasattr(os, "preadv"):
            return None
        base = _file_memmap(X)
        if base is None:
            return None
        start = X.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        fd = os.open(base.filename, os.O_RDONLY)
        return cls(fd, int(base.offset) + int(start), X.shape, X.dtype)

    def close(self):
        """Close the file descriptor."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def read(self, idx, out):
        """Rows ``idx`` (slice or index array) into the first rows of ``out``."""
        if isinstance(idx, slice):
            start, stop, _ = idx.indices(self.shape[0])
            runs = [(start, stop)]
            n_rows = stop - start
        else:
            idx = np.asarray(idx, dtype=np.int64)
            n_rows = idx.size
            breaks = (np.flatnonzero(np.diff(idx) != 1) + 1).tolist()
            runs = [
                (int(idx[lo]), int(idx[lo]) + hi - lo)
                for lo, hi in zip([0, *breaks], [*breaks, n_rows])
            ]
        rows = out[:n_rows]
        view = memoryview(rows.reshape(-1).view(np.uint8))
        position, rb = 0, self.row_bytes
        for first, stop in runs:
            want = (stop - first) * rb
            got = os.preadv(
                self.fd, [view[position : position + want]], self.offset + first * rb
            )
            if got != want:
                raise OSError(f"short read from the memmap file: {got} of {want} bytes")
            position += want
        return rows

    def gather(self, X, idx, buffer):
        """``_reference.gather_rows`` for the file: ``X`` is ignored."""
        if buffer is None:
            n_rows = (
                len(range(*idx.indices(self.shape[0])))
                if isinstance(idx, slice)
                else len(idx)
            )
            buffer = np.empty((n_rows, self.shape[1]), dtype=self.dtype)
        return self.read(idx, buffer)

    def assert_all_finite(self, check, chunk_bytes=1 << 24):
        """Run ``check(chunk)`` over the file in chunks of about ``chunk_bytes``."""
        step = max(chunk_bytes // max(self.row_bytes, 1), 1)
        buffer = np.empty((min(step, self.shape[0]), self.shape[1]), self.dtype)
        for start in range(0, self.shape[0], step):
            stop = min(start + step, self.shape[0])
            check(self.read(slice(start, stop), buffer))
