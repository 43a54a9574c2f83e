"""The usage example in clients/python/README.md works when pasted against `cashapp serve`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixtures hand these out; tests/e2e is not a package to import from
    from conftest import RunningServer

README = Path(__file__).resolve().parents[2] / "clients" / "python" / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_examples_run_against_a_fresh_server(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory()
    blocks = _python_blocks()
    assert len(blocks) == 2
    outputs = []
    for block in blocks:
        code = block.replace("127.0.0.1:50051", server.target)
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    assert "ledger reconciles: True" in outputs[0]
    assert "CUST-1 ACME GmbH" in outputs[1]
