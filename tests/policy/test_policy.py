import copy

import pytest
import yaml

from orchestration.policy.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, validate


@pytest.fixture
def values():
    return yaml.safe_load(DEFAULT_POLICY_PATH.read_text())


def test_default_policy_loads_with_domain_defaults():
    p = load_policy()
    assert p["tiers.small_below"] == 200 and p["tiers.medium_below"] == 1000
    assert [c["day"] for c in p["cadence"]] == [3, 10, 18, 25, 35]
    assert p["placement.min_balance"] == 25 and p["placement.days_since_first_statement"] == 120
    assert p["guardrails.contact_window_start"] == "08:00"
    assert len(p.version) == 12


def test_version_changes_with_any_value(values, tmp_path):
    a = load_policy()
    values["placement"]["min_balance"] = 30
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(values))
    assert load_policy(f).version != a.version


@pytest.mark.parametrize(
    "path, bad, key",
    [
        (("tiers", "small_below"), "two hundred", "tiers.small_below"),
        (("placement", "days_since_first_statement"), 45, "placement.days_since_first_statement"),
        (("placement", "days_since_first_statement_silent"), 59, "placement.days_since_first_statement_silent"),
        (("clinic", "timezone"), "Mars/Olympus", "clinic.timezone"),
        (("guardrails", "contact_window_start"), "8am", "guardrails.contact_window_start"),
        (("clinic", "nonprofit_501r"), "yes", "clinic.nonprofit_501r"),
        (("refunds", "sweep_weekday"), "someday", "refunds.sweep_weekday"),
    ],
)
def test_bad_value_names_the_key(values, path, bad, key):
    v = copy.deepcopy(values)
    v[path[0]][path[1]] = bad
    with pytest.raises(PolicyError, match=key.replace(".", r"\.")):
        validate(v)


def test_unknown_and_missing_keys(values):
    v = copy.deepcopy(values)
    v["tiers"]["smal_below"] = 1
    with pytest.raises(PolicyError, match="tiers.smal_below.*unknown"):
        validate(v)
    v = copy.deepcopy(values)
    del v["placement"]["min_balance"]
    with pytest.raises(PolicyError, match="placement.min_balance.*missing"):
        validate(v)


def test_cadence_must_increase(values):
    v = copy.deepcopy(values)
    v["cadence"][1]["day"] = 2
    with pytest.raises(PolicyError, match="cadence"):
        validate(v)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")


def test_list_tables_feed_sql():
    t = load_policy().list_tables()
    assert [b["aging_bucket"] for b in t["policy_aging_buckets"]] == ["0-30", "31-60", "61-90", "91-120", "121+"]
    assert t["policy_aging_buckets"][-1]["max_days"] is None
