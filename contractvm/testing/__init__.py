"""Testing contracts with pytest: the `contractvm` plugin's fixtures and the helpers tests import.

    from contractvm.testing import reverts, Event

The plugin (`contractvm.testing.plugin`) is registered through the `pytest11` entry point, so installing
contractvm is enough; docs/testing.md is the guide. Names are imported lazily: pytest loads the plugin in
every run, and importing it must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Account": "contractvm.testing.abi",
    "CallFailed": "contractvm.testing.failures",
    "Contract": "contractvm.testing.contract",
    "ContractWarning": "contractvm.testing.compiling",
    "Event": "contractvm.testing.events",
    "GENESIS_TIME": "contractvm.testing.env",
    "Receipt": "contractvm.testing.contract",
    "ReceiptStatus": "contractvm.chain.model",
    "ReplayMismatch": "contractvm.testing.replay",
    "TestChain": "contractvm.testing.env",
    "TransactionRejected": "contractvm.testing.env",
    "reverts": "contractvm.testing.failures",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'contractvm.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
