"""Schema migrations for GradCanvas files.

``MIGRATIONS[v]`` turns the raw JSON data of a schema-``v`` file into schema ``v + 1`` data.
Loading applies them in order up to ``SCHEMA_VERSION`` before validating, so the validator only
ever knows the current schema. When schema 3 arrives::

    SCHEMA_VERSION = 3

    @register(2)
    def _v2_to_v3(data: dict) -> dict:
        data = copy.deepcopy(data)
        ...                      # e.g. rename a field
        data["schema_version"] = 3
        return data

Migrations work on plain JSON data (dicts, lists, str, numbers) and never execute file content.
"""
from __future__ import annotations

from collections.abc import Callable

SCHEMA_VERSION = 3  # the version this code writes and validates

Migration = Callable[[dict], dict]


class MissingMigrationError(LookupError):
    """No registered step from one schema version to the next."""


MIGRATIONS: dict[int, Migration] = {}


def register(from_version: int) -> Callable[[Migration], Migration]:
    """Decorator: register the migration from ``from_version`` to ``from_version + 1``."""
    def deco(fn: Migration) -> Migration:
        if from_version in MIGRATIONS:
            raise ValueError(f"a migration from schema version {from_version} already exists")
        MIGRATIONS[from_version] = fn
        return fn
    return deco


def migrate(data: dict, version: int, target: int | None = None) -> dict:
    """Bring ``data`` (at schema ``version``) up to ``target`` (default: SCHEMA_VERSION).

    Raises ``MissingMigrationError`` naming the missing step when no path exists.
    """
    target = SCHEMA_VERSION if target is None else target
    while version < target:
        step = MIGRATIONS.get(version)
        if step is None:
            raise MissingMigrationError(
                f"no migration from schema version {version} to {version + 1}")
        data = step(data)
        version += 1
        data["schema_version"] = version
    return data


@register(1)
def _v1_to_v2(data: dict) -> dict:
    """Schema 2 adds the node flag ``frozen`` (a parameter made with requires_grad=True and
    then switched off). Schema 1 had no such flag: a randn/rand leaf without requires_grad
    was only drawn as frozen, while to torch it is just a tensor; so nothing becomes frozen."""
    return data


@register(2)
def _v2_to_v3(data: dict) -> dict:
    """Schema 3 adds the optional setting ``training`` (optimizer, lr, steps, data: see
    training/setup.py). Schema 2 files have none: they load unchanged, without a setup."""
    return data
