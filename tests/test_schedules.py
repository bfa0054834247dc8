"""The daily schedule runs today's partition in the clinic's time zone; the sensor fires once per new
settled file (a file still being written waits, docs/landing.md)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import dagster as dg


def test_schedule_targets_the_local_day():
    from orchestration.definitions import defs

    sched = defs.resolve_schedule_def("daily_morning")
    # 12:00 UTC on Nov 20 is 06:00 in Chicago
    ctx = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 20, 12, 0, tzinfo=UTC), repository_def=defs.get_repository_def()
    )
    req = sched.evaluate_tick(ctx).run_requests[0]
    assert req.partition_key == "2026-11-20"


def _arrived(path, seconds_ago: float = 300) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_sensor_fires_once_per_new_file(collections_env):
    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("landing_files")
    repo = defs.get_repository_def()
    landing = collections_env["landing"]
    (landing / "pm").mkdir()
    (landing / "pm" / "guarantors_1.csv").write_text("guarantor_id\n")
    _arrived(landing / "pm" / "guarantors_1.csv")
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, cursor=None, repository_def=repo)
        first = sensor.evaluate_tick(ctx)
        assert len(first.run_requests) == 1 and first.run_requests[0].tags["new_files"] == "1"
        again = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo)
        )
        assert again.run_requests == [] or again.run_requests is None
        (landing / "pm" / "encounters_1.csv").write_text("encounter_id\n")  # still being written
        writing = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo)
        )
        assert not writing.run_requests
        _arrived(landing / "pm" / "encounters_1.csv")  # settled
        third = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo)
        )
        assert len(third.run_requests) == 1 and third.run_requests[0].tags["new_files"] == "1"
