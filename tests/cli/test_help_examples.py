"""The examples at the end of `--help`: each one is shown, and each parses as its command's arguments."""

from __future__ import annotations

import shlex

import pytest
from typer.testing import CliRunner

from earful.cli.app import app
from earful.cli.examples import EXAMPLES

runner = CliRunner()
CASES = [(command, example) for command, examples in EXAMPLES.items() for example in examples]


@pytest.mark.parametrize(("command", "example"), CASES, ids=[example for _, example in CASES])
def test_an_example_is_in_its_commands_help_and_parses(command: str, example: str) -> None:
    words = shlex.split(example)
    assert words[: 1 + len(command.split())] == ["earful", *command.split()]
    # Click reads every argument before it acts on --help at the end, so an option the command
    # lacks, or one argument too many, is refused here (exit code 2) rather than the help shown.
    shown = runner.invoke(app, [*words[1:], "--help"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert example in " ".join(shown.output.split())


def test_an_option_the_command_lacks_is_refused_by_this_check() -> None:
    refused = runner.invoke(
        app, ["erase", "--author", "@a", "--source", "x", "--since", "2026-01-01", "--help"]
    )
    assert refused.exit_code == 2 and "No such option" in refused.output
