"""Issue 12's attacks on the tool, one test each: a marker file that must not appear, a label
count that must not drop, or a clean refusal within bounded time and memory. Each section is one
kind of attack; the race and kill tests beside these live in tests/test_crash.py."""

from __future__ import annotations

from ..conftest import SAMPLE, run_cli  # noqa: F401  (the sections below use them)


# === 1. the project lock and compare-and-swap on state.json ====================================




# === 2. model files that would run code ========================================================




# === 3/4. spreadsheet outputs: batch overwrite, CR/LF in cells, guarded exports, terminal escapes




# === 5. bounded parsers: bombs and huge files ==================================================




# === 6. broken project files ===================================================================




# === medium: inbox symlinks, fake annotators, control characters at init, colliding ids, scheduler




# === hostile corpus: tests/fixtures/hostile/ ===================================================
