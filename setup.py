"""The one compiled part of preserve, optional: verify's two-stream SHA-1 (see
src/preserve/verify/sha1pair.py) and its fast path for the usual record (warcheaders,
warcscan). Everything else is in pyproject.toml. Without a C compiler the install still
succeeds (optional=True): hashlib does the hashing and Python every record."""

import sys

from setuptools import Extension, setup

# -O3 as CPython's own builds use; MSVC takes neither the flag nor the x86 intrinsics'
# target attributes, and the extension is then left out.
args = [] if sys.platform == "win32" else ["-O3"]
setup(ext_modules=[Extension("preserve.verify._sha1x2", ["src/preserve/verify/_sha1x2.c"],
                             extra_compile_args=args, optional=True)])
