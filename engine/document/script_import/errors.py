"""The one error an import reports: a single line naming the script's line when known."""
from __future__ import annotations


class ScriptImportError(Exception):
    """An import that cannot give the whole graph. ``kind`` is one of: syntax, script (the
    script raised), exit (sys.exit non-zero), timeout, memory, no_backward, unsupported (an op
    or API with no catalog node), refused (a construct the importer declines), mismatch (the
    document would not reproduce the script's numbers), crash (the child died)."""

    def __init__(self, message: str, line: int | None = None, kind: str = "script",
                 script: str | None = None):
        super().__init__(message)
        self.message = " ".join(str(message).split())
        self.line = line
        self.kind = kind
        self.script = script

    def __str__(self) -> str:
        if self.script:
            where = f"{self.script}:{self.line}: " if self.line else f"{self.script}: "
        else:
            where = f"line {self.line}: " if self.line else ""
        return where + self.message

    def to_json(self) -> dict:
        return {"message": self.message, "line": self.line, "kind": self.kind}


class StopScript(BaseException):
    """The requested backward call is recorded: the rest of the script need not run
    (BaseException, so the script's ``except Exception`` cannot swallow it)."""


class ScriptTimeout(BaseException):
    """Raised in the script by the child's timer."""
