"""What a chaos run reports: one table row per schedule (shared by the CLI's table and report.html) and the HTML
report itself, with every peer's committed height over time from the history and each schedule's recovery."""

from __future__ import annotations

from pathlib import Path

from gridledger.lab.chaos.history import read_history
from gridledger.lab.chaos.runner import RunResult, ScheduleResult
from gridledger.lab.report.charts import bar_chart, line_chart
from gridledger.lab.report.html import HtmlReport

COLUMNS = ("schedule", "faults injected", "acked", "committed", "lost", "duplicated", "forks", "max stall s",
           "recovery s", "exited", "verdict")


def schedule_row(result: ScheduleResult) -> tuple[object, ...]:
    return (result.index, "; ".join(result.faults) or "(none)", result.acked, result.committed, result.lost,
            result.duplicated, result.forks, result.max_stall_s, result.recovery_s, ", ".join(result.exited),
            "ok" if result.ok else "FAILED: " + "; ".join(result.problems[:3]))


def summary(result: RunResult) -> str:
    failed = sum(not s.ok for s in result.schedules)
    verdict = "every check passed" if result.ok else f"{failed} schedule(s) failed"
    return (f"{result.consensus}, {result.orchestrator}, seed {result.seed}, workload {result.workload}: "
            f"{len(result.schedules)} schedule(s), {result.acked} transactions acknowledged, {result.lost} lost, "
            f"{result.forks} forks; {verdict}.")


def write_report(result: RunResult, history: Path, path: Path) -> Path:
    report = HtmlReport(f"gridledger chaos run: {result.consensus}, seed {result.seed}")
    report.paragraph(summary(result))
    if result.left_out:
        report.paragraph("Fault kinds not drawn: " + "; ".join(f"{k}: {v}" for k, v in result.left_out.items()))
    report.heading("Schedules")
    report.table(COLUMNS, [schedule_row(s) for s in result.schedules])
    report.heading("Final check (every chain from block 0, and ledger verify)")
    report.paragraph("; ".join(result.final_problems) or "passed")
    heights: dict[str, list[tuple[float, float]]] = {}
    for event in read_history(history):
        if event["event"] == "commit":
            heights.setdefault(event["node"], []).append((event["t"], event["block"]))
    report.heading("Commits")
    report.figure(line_chart(heights, title="Last block committed, per peer", x_label="s since the run started",
                             y_label="block"), "Flat stretches are commit stalls; the history has each fault's times.")
    report.figure(bar_chart({str(s.index): s.recovery_s or 0.0 for s in result.schedules},
                            title="Recovery per schedule", y_label="s from healing to serving and converged"),
                  "A schedule that did not recover shows 0 and is marked FAILED in the table.")
    return report.write(path)
