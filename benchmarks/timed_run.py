"""One daily run in this process; prints per-step wall seconds as JSON on the last line."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--executor", default="in_process", choices=["in_process", "multiprocess"])
    ap.add_argument(
        "--without-handoff",
        action="store_true",
        help="leave out the steps that render and hand off (statements, email, SMS, calls, card "
        "charges): ingest, every mart, the gates, the touch plan, placement and serving",
    )
    ap.add_argument("--samples", help="also write every memory sample and step span (JSON) to this file")
    args = ap.parse_args()
    sampler = MemorySampler()
    from orchestration.core.instance import ensure_dagster_home
    from orchestration.warehouse.project import ensure_manifest

    ensure_dagster_home()
    ensure_manifest()
    from datetime import date

    import dagster as dg

    from orchestration.core.clock import CLOCK_TAG
    from orchestration.core.settings import Paths
    from orchestration.run import scheduled_clock

    # the run of D as the daily schedule starts it (06:00 clinic time on D): the clinic's files
    # arrived the evening before, so a run started today would hold every touch as stale data
    clock = scheduled_clock(date.fromisoformat(args.as_of), Paths.from_env().policy)
    tags = {CLOCK_TAG: clock} if clock else {}
    with dg.DagsterInstance.get() as instance:
        if args.executor == "in_process":
            from orchestration.definitions import defs

            job = _without_handoff(defs) if args.without_handoff else defs.resolve_job_def("daily_job")
            result = job.execute_in_process(
                partition_key=args.as_of,
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
                tags=tags,
            )
            run_id, ok = result.run_id, result.success
        else:
            job = dg.reconstructable(_multiprocess_job)
            with dg.execute_job(job, instance=instance, tags={"dagster/partition": args.as_of, **tags}) as result:
                run_id, ok = result.run_id, result.success
        records = instance.all_logs(run_id)
    if not ok:
        print("run failed", file=sys.stderr)
        return 1
    starts, stages, spans = {}, {}, {}
    for rec in records:
        e = rec.dagster_event
        if e is None:
            continue
        if e.event_type_value == "STEP_START":
            starts[e.step_key] = rec.timestamp
        elif e.event_type_value == "STEP_SUCCESS":
            stages[e.step_key] = rec.timestamp - starts[e.step_key]
            spans[e.step_key] = (starts[e.step_key], rec.timestamp)
    sampler.stop()
    stages["peak_rss_mb"] = sampler.peak_mb
    stages["peak_rss_job_mb"], stages["peak_rss_child_mb"] = sampler.peak_job_mb, sampler.peak_children_mb
    stages["step_peak_mb"] = step_peaks(sampler.samples, spans)
    if args.samples:
        with open(args.samples, "w") as f:
            json.dump({"samples": sampler.samples, "spans": spans}, f)
    print(json.dumps(stages))
    return 0


def step_peaks(samples: list[tuple[float, float, float]], spans: dict[str, tuple[float, float]]) -> dict:
    """Each step's peak: the largest sample (epoch seconds, job MB, children MB) taken while it
    ran (start <= t <= end), as {step: [total MB, job MB, children MB]} at that sample. A step
    shorter than the sampling interval may have no sample and is left out. With the in-process
    executor one step runs at a time, so a sample belongs to one step."""
    peaks: dict[str, list[float]] = {}
    for step, (start, end) in spans.items():
        inside = [(job + children, job, children) for t, job, children in samples if start <= t <= end]
        if inside:
            peaks[step] = [round(v, 1) for v in max(inside)]
    return peaks


class MemorySampler:
    """Resident memory of this process plus all its descendants (dbt, PDF workers), sampled
    every 0.2 s: the peak of what the job holds at one time. (getrusage's ru_maxrss would count
    a child's copy of this process at fork, before it execs dbt.) psutil comes with dagster."""

    def __init__(self, interval: float = 0.2):
        import threading

        import psutil

        self._me = psutil.Process()
        self.peak_mb = self.peak_job_mb = self.peak_children_mb = 0.0
        self.samples: list[tuple[float, float, float]] = []  # (epoch seconds, job MB, children MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import time

        import psutil

        job = self._me.memory_info().rss
        children = 0
        for c in self._me.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # ended between listing and reading
                children += c.memory_info().rss
        mb = 1024 * 1024
        self.samples.append((time.time(), job / mb, children / mb))
        self.peak_mb = max(self.peak_mb, (job + children) / mb)
        self.peak_job_mb = max(self.peak_job_mb, job / mb)
        self.peak_children_mb = max(self.peak_children_mb, children / mb)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self._sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


HANDOFF_STEPS = (
    "outreach__statements",
    "outreach__email_batch",
    "outreach__sms_batch",
    "outreach__call_list",
    "outreach__card_charges",
)


def _without_handoff(defs):
    """The daily job without the rendering and hand-off steps (same partitions, same executor)."""
    import dagster as dg

    daily = defs.resolve_job_def("daily_job")
    handoff = [
        k for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.op.name in HANDOFF_STEPS for k in a.keys
    ]
    job = dg.define_asset_job(
        "daily_job_without_handoff",
        selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*handoff),
        partitions_def=daily.partitions_def,
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, resources=defs.resources, jobs=[job]
    ).resolve_job_def("daily_job_without_handoff")


def _multiprocess_job():
    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily_job")
    return job.with_executor_def(dg.multiprocess_executor) if hasattr(job, "with_executor_def") else job


if __name__ == "__main__":
    sys.exit(main())
