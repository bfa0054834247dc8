"""The Dagster instance our dagster.yaml makes: the pooled SQLite event log keeps every event
of a run readable by a second instance (as the webserver reads it), and a hand-written
dagster.yaml is never overwritten."""

from __future__ import annotations

import dagster as dg

from orchestration.core.instance import TEMPLATE, ensure_dagster_home, render_template
from orchestration.core.instance_storage import PooledSqliteEventLogStorage


@dg.op
def _step(context):
    for i in range(50):
        context.log.info(f"event {i}")
    return 1


@dg.job
def _tiny():
    _step()


def test_events_round_trip_through_the_pooled_event_log(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = _tiny.execute_in_process(instance=instance)
        assert result.success
        written = len(instance.all_logs(result.run_id))
    with dg.DagsterInstance.get() as reader:  # a fresh process's view of the same files
        logs = reader.all_logs(result.run_id)
        assert len(logs) == written
        assert sum(1 for e in logs if e.user_message.startswith("event ")) == 50
        assert reader.get_run_by_id(result.run_id).is_success
    monkeypatch.delenv("DAGSTER_HOME")  # opened from the folder alone, as tools do
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as by_dir:
        assert len(by_dir.all_logs(result.run_id)) == written
    assert (tmp_path / "history" / "runs" / f"{result.run_id}.db").exists()


def test_the_home_follows_our_template_but_not_a_hand_written_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text(TEMPLATE.read_text().splitlines()[0] + "\ntelemetry: {}\n")
    ensure_dagster_home()  # an older copy of ours: refreshed
    assert (tmp_path / "dagster.yaml").read_text() == render_template(tmp_path)
    (tmp_path / "dagster.yaml").write_text("# mine\ntelemetry:\n  enabled: false\n")
    ensure_dagster_home()  # someone's own file: kept
    assert (tmp_path / "dagster.yaml").read_text().startswith("# mine")
