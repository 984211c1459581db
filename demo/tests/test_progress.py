"""Progress bars draw on a terminal only: off one (make run into a log, CI) the demo
seed writes no redraws, and the benchmark's bar only its finished line."""

import io

import pytest

from bench import common
from demo.world import seed


@pytest.mark.django_db
def test_seeding_off_a_terminal_writes_no_progress():
    out = io.StringIO()  # not a terminal
    seed(orders_per_retailer=12, out=out)
    assert out.getvalue() == ""


def test_a_benchmark_bar_off_a_terminal_prints_its_last_line(capsys):
    for done in range(0, 101, 5):
        common.bar("loading", done, 100, f"{done}/100")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["  loading                      100/100"]
