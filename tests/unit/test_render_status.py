"""render_status: the pieces of the status report that are pure functions of their input."""

from __future__ import annotations

# --- sparklines on a fixed scale ----------------------------------------------------------------


def test_sparklines_are_drawn_on_the_zero_to_one_scale():
    from activelearn.render_status import sparkline

    assert sparkline([0.60, 0.63, 0.57, 0.61]) == "▅▆▅▅"  # noise stays flat
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.41, 0.41]) == "▄▄"
    assert sparkline([0.90, 0.95, 1.0]) == "███"  # a rise near the top is not blown up either
