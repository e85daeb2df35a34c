"""Student-controlled text in every rendered output: shown, never obeyed.

A student controls what their code raises and prints, the names of their files and
folders (in a batch, their own name) and, through a roster, spreadsheet cells. Each
output is fed such text through the real `grade` and `grade batch` commands and must
stay safe (escaped or neutralised, still parsable) and readable (the text is shown).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from classroom import PACK, PACKS, module, student
from grader.report.batch_terminal import Board

GRADE = Path(sys.executable).parent / "grade"
FORMATS = ("json", "html", "gradescope", "junit", "markdown", "annotations")
# What a student's code raises and prints: rich markup, terminal escape sequences (an
# OSC 8 link, a window title, a screen clear), HTML that would run or fetch, Markdown
# that would fetch an image or leave its code fence, GitHub workflow commands after
# line breaks (and an escaped one), a spreadsheet formula, characters XML cannot hold.
HOSTILE = ("[bold red]MARKUP[/bold red] [link=https://evil.example]click[/link] "
           "\x1b]8;;https://evil.example\x1b\\osc8\x1b]8;;\x1b\\ \x1b]0;pwned-title\x07 "
           "\x1b[2J </script><script>alert(1)</script> <img src=x onerror=alert(2)> "
           "![pixel](https://evil.example/p.png) ``` fence\n```\n| a | b |\n"
           "::add-mask::secret\n%0A::error file=x.py::fake\r\n::set-env name=A::B "
           "=cmd|' /C calc'!A0 \x00\x01\x0b\x0c end")
SURROGATES = "lone \\ud800 surrogate \\udcff and \\x00\\x08 controls"  # as Python source
# A folder of a repository checkout holding the task files: its name is in every report.
NESTED = "repo\n[bold]folder[/bold] \x1b]0;title\x07 |`"
ESCAPE_SEQUENCE = re.compile("\x1b[\\[\\]]")  # the start of a CSI or OSC sequence


def hostile_submission(root: Path) -> Path:
    """`double` prints HOSTILE to stdout and stderr, then raises it; `mean_of` raises lone
    surrogates and controls; both in the folder NESTED of the submission."""
    folder = root / "hostile" / NESTED
    folder.mkdir(parents=True)
    (folder / "double.py").write_text(
        f'"""A student\'s double."""\nimport sys\n\nHOSTILE = {HOSTILE!r}\n\n\n'
        f'def double(x):\n    """double."""\n    print("PRINTED " + HOSTILE)\n'
        f'    sys.stderr.write("STDERR " + HOSTILE)\n    raise ValueError(HOSTILE)\n')
    (folder / "mean.py").write_text(module("mean_of", f'raise ValueError("{SURROGATES}")'))
    return root / "hostile"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The hostile submission graded once into every format, and the terminal's table."""
    root = tmp_path_factory.mktemp("injection")
    submission = hostile_submission(root)
    paths = {name: root / f"report.{name}" for name in FORMATS}
    command = [str(GRADE), str(submission), "--assignment", PACK, "--packs", str(PACKS),
               "--seed", "5"]
    for name, path in paths.items():
        command += [f"--{name}", str(path)]
    done = subprocess.run(command, capture_output=True, timeout=300,
                          env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 1, done.stderr.decode(errors="replace")
    texts = {name: path.read_bytes().decode("utf-8") for name, path in paths.items()}
    return {**texts, "terminal": done.stdout.decode("utf-8")}


def strict_strings(value) -> list[str]:
    """Every string in parsed JSON, each checked to be writable as UTF-8 (no lone
    surrogate, which strict JSON parsers refuse)."""
    if isinstance(value, str):
        value.encode("utf-8")
        return [value]
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else []
    return [s for key, item in items for s in
            (strict_strings(key) if isinstance(key, str) else []) + strict_strings(item)]


class Elements(HTMLParser):
    """The elements of an HTML page, with their attributes, and its text."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def tags(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]


def test_the_json_report_holds_every_text_as_valid_unicode(graded):
    report = json.loads(graded["json"])
    texts = "\n".join(strict_strings(report))
    assert "</script><script>alert(1)</script>" in texts  # data, as raised
    assert "lone \ufffd surrogate \ufffd and" in texts  # shown, not dropped


def test_the_terminal_shows_markup_and_escape_sequences_as_text(graded):
    terminal = graded["terminal"]
    assert not ESCAPE_SEQUENCE.search(terminal) and "\x07" not in terminal
    assert "[bold red]MARKUP[/bold red]" in terminal  # not read as markup
    assert "\\x1b]0;pwned-title\\x07" in terminal  # the sequence, written out
    assert "[bold]folder[/bold] \\x1b]0;title\\x07" in terminal  # the folder's name too
    assert "lone \ufffd surrogate" in terminal


def test_the_html_report_shows_the_text_and_runs_nothing(graded):
    page = Elements(graded["html"])
    assert page.tags("script") == [] and page.tags("img") == []
    attributes = " ".join(value for _, attrs in page.elements for value in attrs.values())
    assert "evil.example" not in attributes and "alert" not in attributes
    text = "".join(page.text)
    assert "</script><script>alert(1)</script> <img src=x onerror=alert(2)>" in text
    assert "STDERR [bold red]MARKUP" in text  # what the code printed
    assert "lone \ufffd surrogate" in text


def markdown_html(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


def test_markdown_renders_no_html_image_link_or_broken_table(graded):
    rendered = markdown_html(graded["markdown"])
    page = Elements(rendered)
    assert not {"script", "img", "a", "pre", "code", "h1", "blockquote"} & {
        name for name, _ in page.elements}
    assert len(page.tags("h2")) == 1 and len(page.tags("h3")) == 2  # the title, two tasks
    assert len(page.tags("table")) == 1 and len(page.tags("tr")) == 1 + 2  # head, two tasks
    assert [len(Elements(row).tags("td")) for row in re.findall(
        r"<tr>.*?</tr>", rendered, re.S)][1:] == [4, 4]
    text = "".join(page.text)
    assert "</script><script>alert(1)</script>" in text
    assert "![pixel](" in text and "``` fence" in text
    assert "[bold]folder[/bold]" in text  # the folder's name, on the task's row


def test_gradescope_outputs_are_strict_json_and_inert_markdown(graded):
    results = json.loads(graded["gradescope"])
    strict_strings(results)
    outputs = [test["output"] for test in results["tests"]] + [results["output"]]
    assert all(test["output_format"] == "md" for test in results["tests"])
    rendered = "".join(markdown_html(output) for output in outputs)
    assert not {"script", "img", "a", "pre", "code"} & {
        name for name, _ in Elements(rendered).elements}
    assert "</script><script>alert(1)</script>" in "".join(Elements(rendered).text)


def test_junit_parses_and_keeps_the_messages(graded):
    root = ET.fromstring(graded["junit"].encode("utf-8"))
    failures = [f.text for f in root.iter("failure")]
    assert any("</script><script>alert(1)</script>" in f for f in failures)
    assert any("lone \ufffd surrogate \ufffd and \ufffd\ufffd controls" in f for f in failures)


def unescape(text: str) -> str:
    """A workflow command's message or property as GitHub reads it (`%25` last)."""
    for escaped, character in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","),
                               ("%25", "%")):
        text = text.replace(escaped, character)
    return text


def test_annotations_are_one_command_per_failing_task(graded):
    lines = graded["annotations"].split("\n")
    assert lines[-1] == "" and len(lines[:-1]) == 2  # both tasks fail
    commands = [re.fullmatch(r"::(error|warning) ([^:]*)::(.*)", line) for line in lines[:-1]]
    assert all(commands), lines  # no line break, no second command
    assert not ESCAPE_SEQUENCE.search(graded["annotations"])
    message = unescape(commands[0].group(3))
    assert "\n::add-mask::secret\n%0A::error file=x.py::fake\n::set-env" in message
    files = [dict(p.split("=", 1) for p in c.group(2).split(","))["file"] for c in commands]
    assert unescape(files[0]) == "repo\n[bold]folder[/bold] \\x1b]0;title\\x07 |`/double.py"


# A class whose folder names are hostile (a folder name cannot hold "/"), and a roster.
NAMES = ["[bold red]mark[", "esc\x1b]0;title\x07\x1b[2Jname", '=HYPERLINK("evil.example")',
         "-2+3+cmd", "@SUM(A1)", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
         "new\nline", "a|pipe`tick"]
NOT_UTF8 = b"bad\xffbytes"
ROSTER = 'folder,=id,email\n"-2+3+cmd",-1+1|cmd,=1+1\n"@SUM(A1)",@x,+1\n'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs = root / "subs"
    for name in NAMES:
        student(subs / name, double="plus_one")
    student(subs / "index")  # the dashboard's name
    student(Path(os.fsdecode(os.fsencode(subs) + b"/" + NOT_UTF8)))
    (root / "roster.csv").write_text(ROSTER)
    done = subprocess.run([str(GRADE), "batch", str(subs), "--assignment", PACK, "--packs",
                           str(PACKS), "--out", str(root / "out"), "--roster",
                           str(root / "roster.csv"), "-j", "2", "--seed", "3"],
                          capture_output=True, timeout=600, env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return root / "out", done.stderr.decode("utf-8")


@pytest.mark.slow
def test_batch_terminal_prints_names_as_text(hostile_class):
    _, printed = hostile_class
    assert not ESCAPE_SEQUENCE.search(printed) and "\x07" not in printed
    assert "[bold red]mark[" in printed  # in the roster's note: not read as markup
    assert "esc\\x1b]0;title\\x07\\x1b[2Jname" in printed
    assert "index: the name 'index' is the class dashboard's" in printed


def test_the_live_board_prints_names_as_text():
    """On a terminal, the bar names who is being graded."""
    screen = io.StringIO()
    with Board(Console(file=screen, force_terminal=True, width=300), 1) as board:
        board.started(NAMES[0] + " " + NAMES[1])
    shown = screen.getvalue()
    assert "[bold red]mark[ esc\\x1b]0;title\\x07\\x1b[2Jname" in shown
    assert "\x1b]0;" not in shown and "\x1b[2J" not in shown


@pytest.mark.slow
def test_grades_csv_runs_no_formula_and_names_every_student(hostile_class):
    out, _ = hostile_class
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert not ESCAPE_SEQUENCE.search(text)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["student", "'=id", "email"]
    for row in rows:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
    students = {row[0].removeprefix("'") for row in rows[1:]}
    shown = {name.replace("\x1b", "\\x1b").replace("\x07", "\\x07") for name in NAMES}
    assert students == shown | {"index", "bad\ufffdbytes"}
    cells = {row[0]: row[1:3] for row in rows[1:]}
    assert cells["'-2+3+cmd"] == ["'-1+1|cmd", "'=1+1"]
    assert cells["'@SUM(A1)"] == ["'@x", "'+1"]


@pytest.mark.slow
def test_the_dashboard_links_every_report_and_runs_only_its_own_script(hostile_class):
    out, _ = hostile_class
    html = (out / "index.html").read_text(encoding="utf-8")
    page = Elements(html)
    assert "class dashboard" in html and not (out / "index.json").exists()  # no student's
    assert len(page.tags("script")) == 1 and page.tags("img") == []
    links = [attrs["href"] for attrs in page.tags("a")]
    assert len(links) >= len(NAMES) + 1
    for link in links:
        assert re.fullmatch(r"[A-Za-z0-9%._~-]+\.html", link), link  # relative: no scheme
        assert os.path.isfile(os.path.join(os.fsencode(out), unquote_to_bytes(link))), link
    text = "".join(page.text)
    assert all(name in text for name in NAMES[2:7]) and "bad\ufffdbytes" in text
