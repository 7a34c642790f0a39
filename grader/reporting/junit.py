"""A grading run as JUnit XML, the test report CodeGrade's unit-test step, GitLab CI and Jenkins read.

One ``<testsuite>`` per graded function, one ``<testcase>`` per test, in the
catalogue's order. JUnit knows passes and failures, not points, so:

- a test's name carries its number and its worth ("3.4 repeated negative
  samples count every time [5 points]"), never what it earned: a name that
  changed with the verdict would be a new test to GitLab and Jenkins, which
  follow a test from run to run by its classname and name;
- what it earned and could earn are the properties ``points`` and
  ``max_points`` of its ``<testcase>`` (an extension that pytest and the
  Jenkins junit plugin share) and, summed, of its ``<testsuite>``;
- a test that did not run (the file did not import, the function is
  missing, or it is credited only after another passes) is a ``<failure>``
  saying why, never ``<skipped>``: it earns nothing, and CodeGrade's score,
  passed tests over all tests, must not rise because it was left out;
- the grader's own failure on a test is an ``<error>``, the one case the
  student is not at fault;
- a 0-point test (the timing tests, by default) is a test case like any
  other, so that failures and errors are non-zero exactly when ``local``
  exits 1.

What the submission printed goes in each ``<testsuite>``'s ``<system-out>``:
the grader does not know which function printed it. Every text is stripped
of the characters XML 1.0 forbids (a student may print NUL or escapes), and
the file is ASCII, anything else written as a character reference, so it
reads the same whatever encoding a terminal or a redirect applies.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from grader.reporting.results import GATED, IMPORT_FAILED, MISSING_FUNCTION

if TYPE_CHECKING:
    from collections.abc import Iterable

    from grader.reporting.results import GradingRun, TestResult

# The classname of every test case is PACKAGE.<the function's name>, as if
# the tests were methods of a class named after the function in word2vec.py.
PACKAGE = "word2vec"
# The failure's one-line summary, as a CI page lists it; the full text follows in the element.
MESSAGE_CHARACTERS = 300
# <failure type=...> (an exception's class in JUnit proper): why the test failed.
FAILED = "failed"
NOT_RUN = {IMPORT_FAILED: "import_failed", MISSING_FUNCTION: "missing_function", GATED: "gated"}
GRADER_ERROR = "grader_error"
NOT_GRADED = "not_graded"

# Everything XML 1.0 allows but tab, newline and carriage return is kept; carriage returns become newlines.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_text(text: object) -> str:
    """``text`` with every character XML 1.0 forbids replaced by "?", and line ends as newlines."""
    return _NOT_XML.sub("?", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def points(value: float) -> str:
    """Points as the other reports write them: 5, 0, 3.33333."""
    return f"{round(float(value), 6) + 0.0:g}"


def seconds(value: float) -> str:
    return f"{max(float(value), 0.0):.3f}"


def case_name(test: TestResult, function_name: str) -> str:
    """The test's number, title and worth: 3.4 repeated negative samples count every time [5 points]."""
    title = test.name
    if title.startswith(f"{function_name}: "):  # the classname says which function
        title = title[len(function_name) + 2 :]
    worth = "1 point" if test.max_score == 1 else f"{points(test.max_score)} points"
    return f"{test.number} {title} [{worth}]"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        child.text = xml_text(text)
    return child


def _properties(parent: ET.Element, values: Iterable[tuple[str, str]]) -> None:
    properties = _element(parent, "properties")
    for name, value in values:
        _element(properties, "property", name=name, value=value)


def _first_line(text: str) -> str:
    line = xml_text(text).strip().split("\n", 1)[0]
    return line if len(line) <= MESSAGE_CHARACTERS else line[: MESSAGE_CHARACTERS - 3] + "..."


def _testcase(suite: ET.Element, test: TestResult, function_name: str, classname: str, summary: str) -> None:
    case = _element(suite, "testcase", name=case_name(test, function_name), classname=classname)
    case.set("time", seconds(test.seconds))
    values = [("points", points(test.score)), ("max_points", points(test.max_score))]
    if test.passed and test.message not in ("", "Passed."):
        values.append(("feedback", test.message))  # what a passed test measured (a time, say)
    _properties(case, values)
    if test.passed:
        return
    details = test.unfolded or test.output  # a CI page may show this test alone
    if test.not_run == IMPORT_FAILED and summary:
        details = f"{details}\n\n{summary}"  # why it did not import, at every test a page may show alone
    if test.grader_error:
        kind, tag = GRADER_ERROR, "error"
    else:
        kind, tag = NOT_RUN.get(test.not_run, FAILED), "failure"
    _element(case, tag, details, message=_first_line(test.unfolded or test.message), type=kind)


def document(run: GradingRun) -> ET.Element:
    """``<testsuites>`` for ``run``: a ``<testsuite>`` per graded function, a ``<testcase>`` per test."""
    from grader.reporting import report

    root = ET.Element("testsuites", {"name": xml_text(f"word2vec autograder: {Path(run.submission).name}")})
    printed = "\n\n".join(
        f"What {Path(run.submission).name} printed {during}:\n{text}" for during, text in report.printed(run)
    )
    for part in report.functions(run):
        suite = _element(root, "testsuite", name=part.title)
        suite.set("tests", str(len(part.tests)))
        suite.set("failures", str(sum(not t.passed and not t.grader_error for t in part.tests)))
        suite.set("errors", str(sum(t.grader_error for t in part.tests)))
        suite.set("skipped", "0")
        suite.set("time", seconds(sum(t.seconds for t in part.tests)))
        _properties(
            suite, [("points", points(part.score)), ("max_points", points(part.max_score)), ("seed", str(run.seed))]
        )
        for test in part.tests:
            _testcase(suite, test, part.code_name, f"{PACKAGE}.{part.code_name}", run.summary)
        if printed:
            _element(suite, "system-out", printed)
    _count(root)
    root.set("time", seconds(run.execution_time))
    return root


def not_graded(reason: str, details: str = "", grader_fault: bool = False) -> ET.Element:
    """A document for a submission that was never graded: one test case, a failure (or, when
    the grader is at fault, an error) saying why."""
    root = ET.Element("testsuites", {"name": "word2vec autograder"})
    suite = _element(root, "testsuite", name="submission", tests="1")
    suite.set("failures", "0" if grader_fault else "1")
    suite.set("errors", "1" if grader_fault else "0")
    suite.set("skipped", "0")
    suite.set("time", seconds(0))
    case = _element(suite, "testcase", name="graded", classname=f"{PACKAGE}.submission", time=seconds(0))
    _element(
        case,
        "error" if grader_fault else "failure",
        details or reason,
        message=_first_line(reason),
        type=GRADER_ERROR if grader_fault else NOT_GRADED,
    )
    _count(root)
    root.set("time", seconds(0))
    return root


def combine(documents: Iterable[tuple[str, str]]) -> ET.Element:
    """One ``<testsuites>`` of many submissions' documents, given as (id, XML text).

    GitLab and Jenkins tell test cases apart by classname and name, so each
    submission's classnames start with its id instead of PACKAGE
    ("s123.sigmoid"; Jenkins shows the id as the package), and its suites'
    names with "<id>: ".
    """
    root = ET.Element("testsuites", {"name": "word2vec autograder: batch"})
    total = 0.0
    for submission_id, text in documents:
        for suite in ET.fromstring(text).iter("testsuite"):
            suite.set("name", xml_text(f"{submission_id}: {suite.get('name', '')}"))
            for case in suite.iter("testcase"):
                function = case.get("classname", "").split(".", 1)[-1]
                case.set("classname", xml_text(f"{submission_id}.{function}"))
            total += float(suite.get("time", "0"))
            root.append(suite)
    _count(root)
    root.set("time", seconds(total))
    return root


def _count(root: ET.Element) -> None:
    """The root's tests, failures, errors and skipped: the sums of its suites'."""
    for count in ("tests", "failures", "errors", "skipped"):
        root.set(count, str(sum(int(suite.get(count, "0")) for suite in root.iter("testsuite"))))


def serialize(root: ET.Element) -> str:
    """The document as text: an XML declaration, two-space indents, ASCII only."""
    _indent(root)
    return _DECLARATION + ET.tostring(root, encoding="us-ascii").decode("ascii") + "\n"


def text(run: GradingRun) -> str:
    """``python -m grader local --format junit``."""
    return serialize(document(run))


def _indent(element: ET.Element, level: int = 0) -> None:
    """Indent the elements that hold elements, as ElementTree.indent (Python 3.9+) would; texts stay as they are."""
    children = list(element)
    if not children:
        return
    inner = "\n" + "  " * (level + 1)
    if not (element.text or "").strip():
        element.text = inner
    for child in children:
        _indent(child, level + 1)
        if not (child.tail or "").strip():
            child.tail = inner
    children[-1].tail = "\n" + "  " * level
