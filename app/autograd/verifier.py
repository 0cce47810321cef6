"""Verify with PyTorch in a QProcess: the window stays responsive and torch is never imported
into the app. What to run and how to read its output is Qt-free
(engine/document/verify_runner.py); this only starts, watches and kills the process."""
from __future__ import annotations

from PySide6.QtCore import QObject, QProcess, Signal

from engine.document import verify as _verify
from engine.document import verify_runner as _runner


class Verifier(QObject):
    """``start(executor)`` runs one verification; ``finished`` carries its Verification
    (also for the early verdicts: no torch, an unexportable graph)."""

    finished = Signal(object)  # verify.Verification

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.proc: QProcess | None = None

    @staticmethod
    def available() -> bool:
        return _verify.torch_available()

    def running(self) -> bool:
        return self.proc is not None

    def start(self, executor, root=None) -> bool:
        """False when nothing was started (the verdict is emitted at once); ``root`` is
        where backward starts (the same rule as Backward: engine/document/roots.py)."""
        job = _runner.start(executor, root)
        if isinstance(job, _verify.Verification):
            self.finished.emit(job)
            return False
        proc = QProcess(self)
        proc.setObjectName("verifyProcess")
        proc.setProgram(job.argv[0])
        proc.setArguments(job.argv[1:])
        proc.finished.connect(lambda *_: self._done(proc, job))
        proc.errorOccurred.connect(
            lambda err: err == QProcess.ProcessError.FailedToStart and self._done(proc, job))
        self.proc = proc
        proc.start()
        proc.write(job.script.encode("utf-8"))
        proc.closeWriteChannel()
        return True

    def _done(self, proc: QProcess, job) -> None:
        if self.proc is not proc:
            return
        self.proc = None
        normal = proc.exitStatus() == QProcess.ExitStatus.NormalExit
        v = _runner.finish(job, normal, proc.exitCode(), proc.readAllStandardOutput().data(),
                           proc.readAllStandardError().data())
        proc.deleteLater()
        self.finished.emit(v)

    def kill(self) -> None:
        """No child process may outlive the window."""
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.kill()
            proc.waitForFinished(2000)


__all__ = ["Verifier"]
