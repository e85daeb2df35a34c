"""JUnit XML, rendered from the JSON report: for GitLab's test report, Jenkins and
GitHub test-report actions.

One `<testsuite>` per task (name: task id and title), one `<testcase>` per check
(`classname`: the task's file, or its id where the task has no file; `name`:
the check; `time`: the task's time shared evenly by its checks). A failed check
is a `<failure>` with its message; a check that could not run because the
grader failed (task outcome `grader-error`) is `<skipped>`: it is no verdict on
the student's code. `<properties>` hold the seed, assignment and grader version.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from grader.report.views import first_line

FORMAT_VERSION = 1
DESCRIPTION = 'a JUnit XML report (GitLab, Jenkins, GitHub test-report actions)'
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(report: dict[str, Any]) -> str:
    tasks = report["tasks"]
    root = ET.Element("testsuites", name=_text(report["assignment"]))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for task in tasks:
        suite = _suite(report, task)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(t.get('seconds', 0.0) for t in tasks):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(report: dict[str, Any], task: dict[str, Any]) -> ET.Element:
    checks = task["checks"]
    seconds = task.get("seconds", 0.0)
    suite = ET.Element("testsuite", name=_text(f"{task['id']} {task['title']}"),
                       timestamp=report.get("started_at", ""), time=f"{seconds:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("seed", report["seed"]), ("assignment", report["assignment"]),
                        ("grader_version", report.get("grader_version", "")),
                        ("task_outcome", task["outcome"]),
                        ("format_version", FORMAT_VERSION)):
        ET.SubElement(properties, "property", name=name, value=_text(str(value)))
    could_not_run = task["outcome"] == "grader-error"
    counts = {"tests": len(checks), "failures": 0, "errors": 0, "skipped": 0}
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=_text(task.get("file") or task["id"]),
                             name=_text(check["name"]),
                             time=f"{seconds / max(1, len(checks)):.3f}")
        if check["passed"]:
            continue
        message = _text(check["message"])
        if could_not_run:
            ET.SubElement(case, "skipped", message=first_line(message) or "grader error")
            counts["skipped"] += 1
        else:
            failure = ET.SubElement(case, "failure", message=first_line(message),
                                    type=check["kind"])
            failure.text = message
            counts["failures"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold (a student's output may have them)."""
    return _NOT_XML.sub("\ufffd", value)
