"""benchmarks/timed_run.py and run.py: each step's peak memory is the largest sample (job
process plus children) taken while it ran, and the peak row names the steps that peaked."""

from __future__ import annotations

from benchmarks.run import top_peaks
from benchmarks.timed_run import step_peaks


def test_each_step_gets_the_largest_sample_inside_its_span():
    samples = [
        (0.9, 100.0, 0.0),  # before any step
        (1.0, 500.0, 0.0),  # ingest starts
        (1.2, 900.0, 50.0),
        (1.4, 700.0, 0.0),
        (2.0, 400.0, 1500.0),  # dbt: the children hold most
        (2.2, 450.0, 1200.0),
        (3.5, 3000.0, 0.0),  # between steps: no step's
    ]
    spans = {"ingest": (1.0, 1.5), "dbt": (1.9, 2.3), "quick": (2.5, 2.6)}
    assert step_peaks(samples, spans) == {"ingest": [950.0, 900.0, 50.0], "dbt": [1900.0, 400.0, 1500.0]}


def test_a_sample_on_a_boundary_counts_for_the_step():
    assert step_peaks([(2.0, 10.0, 1.0)], {"a": (1.0, 2.0), "b": (2.0, 3.0)}) == {
        "a": [11.0, 10.0, 1.0],
        "b": [11.0, 10.0, 1.0],
    }


def test_top_peaks_lists_the_highest_steps_first():
    run = {"step_peak_mb": {"a": [1200.4, 1000.0, 200.4], "b": [3400.0, 3400.0, 0.0], "c": [900.0, 900.0, 0.0]}}
    assert top_peaks(run, 2) == "b 3,400 MB, a 1,200 MB"
    assert top_peaks({}) == ""
