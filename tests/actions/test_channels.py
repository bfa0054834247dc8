"""The channel registry: one module per channel, one interface, the folders the outbox layout
names (docs/outputs.md), and no module of the outreach layer importing a private name of another."""

import ast
import inspect
from pathlib import Path

from orchestration.actions.outreach import dispatch
from orchestration.actions.outreach.channels import REGISTRY

OUTREACH = Path(dispatch.__file__).parent


def test_every_channel_has_the_same_small_interface():
    assert list(REGISTRY) == ["sms", "email", "mail", "phone", "card"]
    for name, module in REGISTRY.items():
        assert name == module.NAME
        assert list(inspect.signature(module.hand_off).parameters) == ["touches", "ctx"]
    assert {n: m.FOLDER for n, m in REGISTRY.items()} == {
        "sms": "sms",
        "email": "email",
        "mail": "statements",
        "phone": "calls",
        "card": "charges",
    }
    assert dispatch.WINDOW_CHANNELS == ("sms", "email", "phone")


def test_no_private_name_crosses_a_module():
    for path in [*OUTREACH.rglob("*.py"), OUTREACH.parent / "files.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                assert not (node.module or "").split(".")[-1].startswith("_"), (path, node.module)
                assert not [a.name for a in node.names if a.name.startswith("_")], (path, node.module)
