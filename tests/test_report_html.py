"""The student's HTML report, on real reports (the bundled sample), parsed and checked
for structure: what to fix first at the top, linked to its tasks; passing checks
folded inside a failing task; every task's scoring rule; the assignment's title; no
path of the grading machine; hidden checks' values shown to no student."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from conftest import FIXTURES, REPO
from grader.pipeline import Options, grade
from grader.report import html, json_report
from grader.report.public import HIDDEN

VOID = {"meta", "br", "img", "input", "link", "hr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or cls in child.classes()):
                    found.append(child)
                found += child.find_all(tag, cls)
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def inside(self, tag: str, cls: str) -> bool:
        node = self.parent
        while node is not None:
            if node.tag == tag and cls in node.classes():
                return True
            node = node.parent
        return False


class TreeBuilder(HTMLParser):
    """A small DOM: enough to assert on the page's structure (the page is well formed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        self.current = self.current.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, "an element was left open"
    return builder.root


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sample(warm_engine, pack):
    """The sample, graded by its absolute path, and its reports for both audiences."""
    report = grade(str(FIXTURES / "sample"), Options(assignment="regularization", seed=11),
                   engine=warm_engine)
    student, instructor = html.render(report, "student"), html.render(report, "instructor")
    return report, json_report.to_dict(report), student, parse(student), instructor


def failures_in_fix_order(data: dict) -> list[tuple[str, dict]]:
    """(task id, first failing check): correctness before requirements, then task order."""
    firsts = []
    for task in data["tasks"]:
        failed = [c for c in task["checks"] if not c["passed"]]
        if failed:
            correctness = [c for c in failed if c["kind"] == "correctness"]
            firsts.append((task["id"], (correctness or failed)[0]))
    return sorted(firsts, key=lambda item: item[1]["kind"] != "correctness")


def test_the_title_is_the_assignments(sample, pack):
    _, _, _, doc, _ = sample
    assert pack.title and squeeze(doc.find_all("h1")[0].text()) == pack.title
    assert pack.title in doc.find_all("title")[0].text()


def test_what_to_fix_first_leads_and_links_each_failing_task(sample):
    report, data, _, doc, _ = sample
    main = doc.find_all("main")[0]
    sections = main.find_all("section")
    assert "fix-first" in sections[0].classes() or "broken" in sections[0].classes()
    fix_first = main.find_all("section", "fix-first")[0]
    assert sections.index(fix_first) < sections.index(main.find_all("section", "task")[0])
    expected = failures_in_fix_order(data)
    kinds = [check["kind"] for _, check in expected]
    assert "correctness" in kinds and "requirement" in kinds  # the sample has both
    items = fix_first.find_all("li")
    assert len(items) == len(expected)
    task_ids = {s.attrs["id"]: s for s in main.find_all("section", "task")}
    for item, (task_id, check) in zip(items, expected):
        href = item.find_all("a")[0].attrs["href"]
        target = task_ids[href[1:]]  # the link leads to that task's section
        assert f"Task {task_id}." in squeeze(target.text())
        assert f"Task {task_id}:" in squeeze(item.text())
        assert squeeze(check["name"]) in squeeze(item.text())


def test_passing_checks_are_folded_inside_a_failing_task(sample):
    report, _, _, doc, _ = sample
    sections = doc.find_all("section", "task")
    assert len(sections) == len(report.tasks)
    folded_some = False
    for section, result in zip(sections, report.tasks):
        failed = [c for c in result.checks if not c.passed]
        passed = [c for c in result.checks if c.passed]
        task_details = section.find_all("details")[0]
        assert ("open" in task_details.attrs) == bool(failed), result.task.id
        fails = section.find_all("li", "fail")
        passes = section.find_all("li", "pass")
        assert (len(fails), len(passes)) == (len(failed), len(passed)), result.task.id
        assert not any(li.inside("details", "passing") for li in fails)
        if failed and passed:
            folded = section.find_all("details", "passing")
            assert len(folded) == 1 and "open" not in folded[0].attrs
            assert all(li.inside("details", "passing") for li in passes)
            assert f"{len(passed)} passing check" in folded[0].find_all("summary")[0].text()
            folded_some = True
    assert folded_some


def test_every_task_explains_its_points(sample):
    report, _, _, doc, _ = sample
    for section, result in zip(doc.find_all("section", "task"), report.tasks):
        assert squeeze(result.score_explanation) in squeeze(section.text())
    assert "How the points are counted" in doc.text()


def test_no_path_of_the_grading_machine(sample):
    report, _, student, doc, instructor = sample
    assert report.submission.startswith("/")  # graded by its absolute path
    for page in (student, instructor):
        assert str(REPO) not in page and "/dev/shm" not in page and "grade-" not in page
    absolute = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+-]+/)+")
    texts = [doc.text()] + [v or "" for node in doc.find_all("a") for v in node.attrs.values()]
    assert not [m for t in texts for m in absolute.findall(t)]
    assert "sample" in squeeze(doc.find_all("header")[0].text())


def test_hidden_checks_show_no_values_to_students(sample):
    report, data, student, doc, instructor = sample
    hidden_failures = [c for t in data["tasks"] for c in t["checks"]
                       if c["hidden"] and not c["passed"]]
    assert hidden_failures
    page_text = squeeze(doc.text())
    instructor_text = squeeze(parse(instructor).text())
    for check in hidden_failures:
        first, _, values = check["message"].partition("\n")
        assert squeeze(check["name"]) in page_text  # name and verdict stay
        hidden_part = values if values.strip() else first  # what no student may read ...
        assert squeeze(hidden_part) not in page_text
        assert squeeze(hidden_part) in instructor_text  # ... but is the instructor's
        if values.strip():  # the diagnosis line (the authoring convention) stays
            assert squeeze(first) in page_text
    assert any("expected" in c["message"] for c in hidden_failures)  # values were there
    assert HIDDEN in page_text
    visible = [c for t in data["tasks"] for c in t["checks"]
               if not c["hidden"] and not c["passed"] and c["message"]]
    for check in visible:  # a check that is not hidden keeps its whole message
        assert squeeze(check["message"]) in page_text


def test_the_page_says_what_was_graded(sample):
    report, _, _, doc, _ = sample
    footer = squeeze(doc.find_all("footer")[0].text())
    for name in report.source["files"]:
        assert name in footer
    assert f"Seed {report.seed}" in footer and report.grader_version in footer
    assert "<script" not in sample[2]


def test_an_unreadable_submission_leads_with_why(tmp_path, warm_engine):
    damaged = tmp_path / "alice.zip"
    damaged.write_text("not an archive")
    report = grade(str(damaged), Options(assignment="regularization", seed=1),
                   engine=warm_engine)
    doc = parse(html.render(report))
    first = doc.find_all("main")[0].find_all("section")[0]
    assert "broken" in first.classes()
    assert report.source["broken"] in squeeze(first.text())
    assert not doc.find_all("section", "fix-first")  # one fix, said once, not per task
    assert not doc.find_all("section", "all-good")
    assert str(tmp_path) not in squeeze(doc.text())
