"""The docs cover every command, option help and setting (STYLE §3: docs are tested)."""

from __future__ import annotations

import click
import pytest

from gongshi.cli import cli
from publish.settings import DEFAULTS
from tests.support import ROOT


def _commands(group: click.Group, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        yield prefix + name, command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + name + " ")


COMMANDS = list(_commands(cli))


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(name, command):
    """Every command explains itself and is listed in the README."""
    assert (command.help or "").strip(), f"gongshi {name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"gongshi {name} {param.opts[0]} has no help text"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"gongshi {name}" in readme, f"README does not mention `gongshi {name}`"


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_documented(key):
    assert f"`{key}`" in (ROOT / "docs/settings.md").read_text(encoding="utf-8")
