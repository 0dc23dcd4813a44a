"""The house rules that imports can check: the mood logic, analysis and the bot load without torch,
and `model/`, `mood/` and `training/` never reach into the bot."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TORCH_FREE = ["mood.tracker", "mood.labels", "analysis.moments", "analysis.analyze", "analysis.chatlog",
              "commands", "bot.config", "bot.store", "bot.chatbot", "model.service", "localtwitch.server",
              "training.data", "training.weak", "training.pseudo"]


@pytest.mark.parametrize("module", TORCH_FREE)
def test_module_imports_without_torch(module):
    # A None entry in sys.modules makes `import torch` fail, as in a venv without torch.
    code = f"import sys; sys.modules['torch'] = None; import {module}"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("mood", {"bot", "commands", "model", "training", "analysis", "localtwitch", "torch"}),
    ("training", {"bot", "commands", "analysis", "localtwitch"}),
    # commands read settings (bot.config) and nothing else of the bot: no socket, no database
    ("commands", {"bot.app", "bot.chatbot", "bot.store", "model", "training", "aiosqlite", "twitchAPI"}),
])
def test_package_does_not_import(package, forbidden):
    reached = {m for m in imported_modules(package) for f in forbidden if m == f or m.startswith(f + ".")}
    assert reached == set()
