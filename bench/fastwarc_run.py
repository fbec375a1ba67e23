"""FastWARC's side of bench/verify.py, run by the benchmark environment's Python
(bench/setup_env.sh), never by preserve's; it imports FastWARC and the standard library
only.

    ENV/bin/python bench/fastwarc_run.py check FILES...
    ENV/bin/python bench/fastwarc_run.py digests FILES...

``check`` runs FastWARC's own ``fastwarc check --verify-payloads --quiet`` command on
each file in turn, in this one process (the command takes one file; one interpreter for
all of them spares it the start-up that a process per file would add). ``digests`` is a
loop over ``ArchiveIterator`` that checks every record's block digest and, where there
is one, its payload digest, as that command does. Both exit 1 if any digest fails and
print the number of records and failures.
"""

from __future__ import annotations

import sys


def check(files: list[str]) -> int:
    from fastwarc.cli import main

    status = 0
    for path in files:
        code = main.main(["check", "--verify-payloads", "--quiet", path],
                         standalone_mode=False)
        status = max(status, code or 0)
    return status


def digests(files: list[str]) -> int:
    from fastwarc.warc import ArchiveIterator

    records = failed = no_digest = 0
    for path in files:
        for record in ArchiveIterator(path, parse_http=False, inplace=True):
            records += 1
            headers = record.headers
            payload = "WARC-Payload-Digest" in headers
            ok = True
            if "WARC-Block-Digest" in headers:
                # Keep the block for the payload check when there is one to make.
                ok = record.verify_block_digest(not (payload and record.is_http))
            else:
                no_digest += 1
            if payload:
                if record.is_http:
                    record.parse_http()
                ok = record.verify_payload_digest(True) and ok
            failed += not ok
    print(f"{records} records, {failed} failed, {no_digest} without a block digest")
    return 1 if failed else 0


if __name__ == "__main__":
    commands = {"check": check, "digests": digests}
    if len(sys.argv) < 3 or sys.argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]](sys.argv[2:]))
