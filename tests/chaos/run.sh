#!/bin/sh
# make chaos: every way a student, a template or a disk may try to hang, forge or lose a
# class (issue 22), each a pytest case that fails if solgen does. See docs/chaos.md.
# Usage: tests/chaos/run.sh [PYTHON]   (default .venv/bin/python)
set -u
PY=${1:-.venv/bin/python}
status=0
run() {
    echo "== chaos: $1"
    shift
    "$PY" -m pytest -q -p no:cacheprovider "$@" || status=1
}
run "signals at each phase: build (LaTeX, the commit's renames, after the end)" \
    tests/test_robust.py -k signal tests/test_outputs.py
run "signals at each phase: batch, class files, merge; -15 never; readers; -o; checked data" \
    tests/test_faults.py
run "signals to a running batch: SIGTERM, SIGINT, SIGKILL of the parent, a killed worker" \
    tests/test_batch_signals.py
SOLGEN_CHAOS=1 run "key.pdf from the answer key; SIGTERM in key.pdf's compile; a full disk (7 MB tmpfs)" \
    tests/test_chaos.py
run "a poisoned cache entry (a planted pickle, a forged formula, a wrong entry)" \
    tests/test_cache.py -k "planted or forged or wrong_entry or unreadable"
run "a symbolic link as a template, a templates folder or an override" \
    tests/test_sandbox.py -k "link"
SOLGEN_CHAOS=1 run "the precompiled format on real 5 MB and 7 MB tmpfs disks (needs root)" \
    tests/test_chaos_format.py
if [ "$status" = 0 ]; then echo "chaos: every case held"; else echo "chaos: a case failed"; fi
exit "$status"
