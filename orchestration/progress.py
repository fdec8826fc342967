"""What ``make run`` shows a person: one line per stage with its figures and time, warnings and errors with
what to do; Dagster's full event log goes to a file instead of the terminal.

Two Dagster loggers, given to the run by :func:`run_config` (``orchestration.cli`` merges them into the
definitions; the UI and the daemon keep Dagster's own console logger):

- ``event_file`` writes every event of the run, DEBUG included, to ``warehouse/logs/<stamp>-<job>.log``;
- ``progress`` turns the few events a person needs into short lines on the terminal (landing per feed with
  rows, days and time; the dbt build with its models and tests; each gate that did not pass; publishing).
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import IO, Any

import dagster as dg

LANDING_PREFIX = "raw__"


def _meta(record: logging.LogRecord) -> dict:
    return record.__dict__.get("dagster_meta") or {}


def _value(entry: Any) -> Any:
    return getattr(entry, "value", entry)


class ProgressHandler(logging.Handler):
    """Short lines for the events a person follows; everything else stays in the log file."""

    def __init__(self, out: IO[str]):
        super().__init__(level=logging.DEBUG)
        self.out = out
        self.started: dict[str, float] = {}
        self.landed: dict[str, tuple[str, str]] = {}  # landing step -> its line and reason, said when it ends
        self.gates = {"passed": 0, "warned": 0, "blocked": 0}
        self.run_started = time.monotonic()
        self.dbt_models = self.dbt_tests = self.dbt_failed_tests = 0
        self.broken = False  # set once the view failed on an event: say so once, never a traceback

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit(record)
        except Exception as exc:  # noqa: BLE001 - the terminal view must never break (or flood) a run
            if not self.broken:
                self.broken = True
                self.say(f"  (progress view stopped: {type(exc).__name__}: {exc}; the run goes on, see the log file)")

    def _emit(self, record: logging.LogRecord) -> None:
        meta = _meta(record)
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        kind = event.event_type_value if event is not None else None
        if kind in ("RUN_START", "PIPELINE_START"):
            self.gates = {"passed": 0, "warned": 0, "blocked": 0}
            self.run_started = time.monotonic()
            self.say(f"{meta.get('job_name')}:")
        elif kind in ("RUN_SUCCESS", "PIPELINE_SUCCESS", "RUN_FAILURE", "PIPELINE_FAILURE"):
            gates = ", ".join(f"{n} {k}" for k, n in self.gates.items() if n) or "none run"
            ended = "done" if "SUCCESS" in kind else "FAILED"
            self.say(f"  gates: {gates}; {meta.get('job_name')} {ended} in "
                     f"{time.monotonic() - self.run_started:.1f} s")
        elif kind == "STEP_START":
            self.started[step] = time.monotonic()
            if step == "dbt_models":
                self.dbt_models = self.dbt_tests = self.dbt_failed_tests = 0
                self.say("  dbt build ...")
            elif step == "published__marts":
                self.say("  publishing ...")
        elif kind == "ASSET_MATERIALIZATION":
            self._materialized(step, event)
        elif kind == "ASSET_CHECK_EVALUATION":
            self._checked(step, event)
        elif kind == "STEP_SUCCESS" and step == "dbt_models":
            failed = f", {self.dbt_failed_tests} failed" if self.dbt_failed_tests else ""
            self.say(f"  dbt build: {self.dbt_models} models, {self.dbt_tests} tests{failed} "
                     f"({self._elapsed(step)})")
        elif kind == "STEP_SUCCESS" and step in self.landed:
            self._say_landed(step)
        elif kind == "STEP_FAILURE":
            error = event.step_failure_data.error if event.step_failure_data else None
            if error and error.cls_name == "DagsterAssetCheckFailedError":
                if step in self.landed:  # the feed landed and its own gate then blocked (said by BLOCKED)
                    self._say_landed(step)
                return  # a blocking gate failed: its BLOCKED line said which and why
            message = error.message.strip().splitlines()[0] if error and error.message else "see the log file"
            self.say(f"  FAILED {step}: {message}")
        elif kind is None and record.levelno >= logging.WARNING:
            message = str(meta.get("orig_message") or record.getMessage()).strip()
            self.say(f"  {'ERROR' if record.levelno >= logging.ERROR else 'warning'}: {message[:400]}")

    def _say_landed(self, step: str) -> None:
        line, reason = self.landed.pop(step)
        self.say(line + f" {self._elapsed(step):>8}" + (f"  {reason}" if reason else ""))

    def _elapsed(self, step: str) -> str:
        return f"{time.monotonic() - self.started.get(step, time.monotonic()):.1f} s"

    def _materialized(self, step: str, event) -> None:
        materialization = event.event_specific_data.materialization
        metadata = {k: _value(v) for k, v in materialization.metadata.items()}
        if step.startswith(LANDING_PREFIX):
            # a range run records its one result against every partition: keep the first, say it at the end
            if step in self.landed:
                return
            name = step[len(LANDING_PREFIX):].replace("__", "/")
            rows = metadata.get("window_rows", metadata.get("dagster/row_count", 0))
            days = {k[5:]: v for k, v in metadata.items() if k.startswith("days_") and isinstance(v, int) and v}
            shown = ", ".join(f"{v:,} {k}" for k, v in sorted(days.items()))
            status = metadata.get("feed_status", "ok")
            flag = "" if status == "ok" else f"  [{status}]"
            reason = str(metadata.get("reason") or "")
            self.landed[step] = (f"  {name:<36} {rows:>10,} rows  {(shown or '-') + flag:<40}",
                                 reason if len(reason) <= 160 else reason[:157] + "...")
        elif step == "dbt_models":
            self.dbt_models += 1
        else:
            self.say(f"  {materialization.asset_key.to_user_string():<38} done ({self._elapsed(step)})")

    def _checked(self, step: str, event) -> None:
        evaluation = event.event_specific_data
        if step == "dbt_models":
            self.dbt_tests += 1
            if not evaluation.passed:
                self.dbt_failed_tests += 1
                self.say(f"  dbt test failed: {evaluation.check_name} on {evaluation.asset_key.to_user_string()}")
            return
        if evaluation.passed:
            self.gates["passed"] += 1
            return
        warned = evaluation.severity == dg.AssetCheckSeverity.WARN
        self.gates["warned" if warned else "blocked"] += 1
        level = "warning" if warned else "BLOCKED"
        description = (evaluation.description or "").strip()
        self.say(f"  {level}: {evaluation.check_name}: {description[:600]}")


@dg.logger(config_schema={"path": str}, description="Every event of the run, to a file.")
def event_file(init_context) -> logging.Logger:
    logger = logging.Logger("leverage.events", level=logging.DEBUG)
    handler = logging.FileHandler(init_context.logger_config["path"], encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def progress_logger(out: IO[str]):
    """The terminal view, writing to ``out`` (the real terminal, while stdout goes to the log file). One
    handler for the whole command: Dagster builds its loggers more than once per run, the counts must not
    be split between copies."""
    handler = ProgressHandler(out)

    @dg.logger(description="Short progress lines for a person at a terminal.")
    def progress(init_context) -> logging.Logger:
        logger = logging.Logger("leverage.progress", level=logging.DEBUG)
        logger.addHandler(handler)
        return logger

    return progress


def loggers(out: IO[str] | None = None) -> dict:
    return {"event_file": event_file, "progress": progress_logger(out or sys.stdout)}


def run_config(log_path: Path) -> dict:
    return {"loggers": {"event_file": {"config": {"path": str(log_path)}}, "progress": {}}}
