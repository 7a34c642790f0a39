"""JUnit XML (``local --format junit``, batch's junit.xml): well-formed, valid, and saying what the run said.

Every report is checked against tests/junit.xsd, the Ant / Jenkins structure
written out as a schema, and against the same run's text report and
results.json: the same counts, the same points per function, the same exit
status.
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import xmlschema

from conftest import REPO
from grader import registry
from grader.reporting import junit
from grader.reporting.results import GATED, IMPORT_FAILED, MISSING_FUNCTION, GradingRun
from grader.reporting.results import TestResult as Result  # not Test*: pytest would try to collect it

SCHEMA = xmlschema.XMLSchema(str(REPO / "tests" / "junit.xsd"))
REFERENCE = (REPO / "reference" / "word2vec.py").read_text(encoding="utf-8")
# What a student's file may print or raise: NUL, an escape, a vertical tab, a
# form feed and a non-character, all forbidden in XML 1.0; "]]>" and markup too.
NASTY = r"\x00\x1b[31mred\x1b[0m\x0b\x0c\ufffe ]]> <b>&amp;"
SOURCES = {
    "reference": REFERENCE,
    "template": (REPO / "student_template" / "word2vec.py").read_text(encoding="utf-8"),
    "example": (REPO / "examples" / "word2vec.py").read_text(encoding="utf-8"),
    "import fails": "import numpy as np\n\nraise RuntimeError('boom at import time')\n",
    "sigmoid crashes": REFERENCE + "\n\ndef sigmoid(x):\n    import os\n    os._exit(3)\n",
    "prints control characters": f'print("{NASTY}")\n'
    + REFERENCE
    + f'\n\ndef sigmoid(x):\n    raise ValueError("{NASTY}")\n',
}
# The sgd.py beside each: its own folder's for the template and the example, else the reference's.
SGD = {
    "template": (REPO / "student_template" / "sgd.py").read_text(encoding="utf-8"),
    "example": (REPO / "examples" / "sgd.py").read_text(encoding="utf-8"),
}
REFERENCE_SGD = (REPO / "reference" / "sgd.py").read_text(encoding="utf-8")
# How local exits on each (as with --format text): 0 only when every test passed.
EXIT = {"reference": 0}
TEXT_FUNCTION_LINE = re.compile(r"^  (\w+)\s+([\d.]+)/([\d.]+)$", re.M)


def grader(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """name -> local on that file of SOURCES, sgd.py beside it: {"text", "json", "junit" (to -o): CompletedProcess,
    "results": the results.json object, "xml": the JUnit file}."""
    import json

    done = {}
    for name, source in SOURCES.items():
        folder = tmp_path_factory.mktemp("submission")
        (folder / "word2vec.py").write_text(source, encoding="utf-8")
        (folder / "sgd.py").write_text(SGD.get(name, REFERENCE_SGD), encoding="utf-8")
        runs = {
            "text": grader("local", folder / "word2vec.py", "--color", "never"),
            "json": grader("local", folder / "word2vec.py", "--format", "json"),
            "junit": grader("local", folder / "word2vec.py", "--format", "junit", "-o", folder / "report.xml"),
        }
        runs["results"] = json.loads(runs["json"].stdout)
        runs["xml"] = (folder / "report.xml").read_text(encoding="utf-8")
        done[name] = runs
    return done


def counts(element):
    return {key: int(element.get(key)) for key in ("tests", "failures", "errors", "skipped")}


def verdict(case):
    """The tag of the element saying why the case did not pass (failure, error, skipped), or "passed"."""
    found = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(found) <= 1, ET.tostring(case)
    return found[0] if found else "passed"


def properties(element):
    holder = element.find("properties")
    return {} if holder is None else {p.get("name"): p.get("value") for p in holder.findall("property")}


def assert_counts_add_up(root):
    """Each suite's counts are those of its test cases, and the root's the sums of its suites'."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        verdicts = [verdict(c) for c in cases]
        assert counts(suite) == {
            "tests": len(cases),
            "failures": verdicts.count("failure"),
            "errors": verdicts.count("error"),
            "skipped": verdicts.count("skipped"),
        }, suite.get("name")
        for key, value in counts(suite).items():
            totals[key] += value
    assert counts(root) == totals


# --- local --format junit --------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_every_report_parses_validates_and_exits_as_the_text_report_does(reports, name):
    runs = reports[name]
    root = ET.fromstring(runs["xml"])
    SCHEMA.validate(runs["xml"])
    assert root.tag == "testsuites" and runs["xml"].isascii()
    assert runs["junit"].returncode == runs["text"].returncode == EXIT.get(name, 1), runs["junit"].stderr
    assert runs["junit"].stdout.startswith("Total: ") and "report written to" in runs["junit"].stdout
    assert "Traceback" not in runs["junit"].stderr


@pytest.mark.parametrize("name", SOURCES)
def test_counts_and_verdicts_are_the_runs(reports, name):
    results, root = reports[name]["results"], ET.fromstring(reports[name]["xml"])
    assert_counts_add_up(root)
    cases = root.findall("testsuite/testcase")
    assert [c.get("name").split(" ", 1)[0] for c in cases] == [t["number"] for t in results["tests"]]
    for case, test in zip(cases, results["tests"]):
        assert verdict(case) == ("passed" if test["status"] == "passed" else "failure"), case.get("name")
        assert case.get("classname") == f"word2vec.{registry.by_tag(test['tags'][0]).name}"
        worth = properties(case)
        assert (worth.pop("points"), worth.pop("max_points")) == (
            junit.points(test["score"]),
            junit.points(test["max_score"]),
        )
        assert set(worth) <= {"feedback"}  # what a passed test measured, if anything
    # Nothing is ever "skipped": a test that did not run earns nothing, and is a failure.
    assert root.get("skipped") == "0" and root.get("errors") == "0"
    assert int(root.get("failures")) == sum(t["status"] == "failed" for t in results["tests"])


@pytest.mark.parametrize("name", SOURCES)
def test_points_per_function_are_the_text_reports(reports, name):
    text, root = reports[name]["text"].stdout, ET.fromstring(reports[name]["xml"])
    in_text = {tag: [float(got), float(out_of)] for tag, got, out_of in TEXT_FUNCTION_LINE.findall(text)}
    in_xml = {}
    for suite in root.findall("testsuite"):
        (classname,) = {c.get("classname") for c in suite.findall("testcase")}
        function = registry.by_name(classname.split(".", 1)[1])
        assert suite.get("name") == function.title
        totals = properties(suite)
        in_xml[function.tag] = [float(totals["points"]), float(totals["max_points"])]
        cases = [properties(c) for c in suite.findall("testcase")]
        assert sum(float(c["points"]) for c in cases) == pytest.approx(in_xml[function.tag][0])
        assert sum(float(c["max_points"]) for c in cases) == pytest.approx(in_xml[function.tag][1])
    assert list(in_xml) == list(in_text) == list(registry.tags())
    for tag in in_text:
        assert in_xml[tag] == pytest.approx(in_text[tag]), tag
    assert sum(got for got, _ in in_xml.values()) == pytest.approx(reports[name]["results"]["score"])


def test_a_failed_test_has_its_first_line_as_message_and_the_whole_feedback_as_text(reports):
    root = ET.fromstring(reports["example"]["xml"])
    (case,) = [c for c in root.iter("testcase") if c.get("name").startswith("3.4 ")]
    (test,) = [t for t in reports["example"]["results"]["tests"] if t["number"] == "3.4"]
    worth = junit.points(test["max_score"])
    assert case.get("name") == f"3.4 repeated negative samples count every time [{worth} points]"
    assert case.get("classname") == "word2vec.negSamplingLossAndGradient"
    failure = case.find("failure")
    assert failure.get("type") == junit.FAILED
    assert failure.get("message") == failure.text.split("\n")[0]
    assert failure.get("message").startswith("gradOutsideVecs is wrong for V=")
    assert "\n  Likely cause: " in failure.text and "np.add.at" in failure.text
    # The text report shows the same feedback.
    assert failure.text.split("\n")[0] in reports["example"]["text"].stdout


def test_a_file_that_does_not_import_fails_every_test_saying_why(reports):
    root = ET.fromstring(reports["import fails"]["xml"])
    failures = [c.find("failure") for c in root.iter("testcase")]
    assert failures and all(f is not None and f.get("type") == "import_failed" for f in failures)
    assert all("boom at import time" in f.text for f in failures)  # the reason, in every test a page may show
    assert int(root.get("failures")) == int(root.get("tests")) == len(reports["import fails"]["results"]["tests"])


def test_the_templates_untouched_tests_fail_as_gated_not_skipped(reports):
    types = {c.find("failure").get("type") for c in ET.fromstring(reports["template"]["xml"]).iter("testcase")}
    assert types == {junit.FAILED, junit.NOT_RUN[GATED]}


def test_control_characters_a_student_prints_or_raises_are_replaced(reports):
    text = reports["prints control characters"]["xml"]
    root = ET.fromstring(text)  # would raise on any character XML 1.0 forbids
    printed = root.find("testsuite/system-out").text
    assert "[31mred" in printed and "]]> <b>&amp;" in printed
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", printed)
    # Every suite carries it: the grader does not know which function printed it.
    assert all(s.find("system-out").text == printed for s in root.findall("testsuite"))
    raised = [c.find("failure") for c in root.iter("testcase") if c.get("classname") == "word2vec.sigmoid"]
    assert raised and all("ValueError" in f.text and "[31mred" in f.text for f in raised if f.get("type") == "failed")


def test_without_o_the_xml_goes_to_stdout(tmp_path):
    (tmp_path / "word2vec.py").write_text(REFERENCE, encoding="utf-8")
    (tmp_path / "sgd.py").write_text(REFERENCE_SGD, encoding="utf-8")
    done = grader("local", tmp_path / "word2vec.py", "--format", "junit")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    SCHEMA.validate(done.stdout)


# --- the writer, on runs made by hand ----------------------------------------

# Every character XML 1.0 forbids that Python can hold, and line ends of every kind.
FORBIDDEN = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF]))


def made_run(**changes):
    """A run of one test per kind of outcome, every text holding forbidden characters."""
    dirty = f"line one {FORBIDDEN}\r\nline two\rline three"
    tests = [
        Result("1.1", "sigmoid: passes", ("sigmoid",), 4, "visible", score=4, passed=True, message="Passed."),
        Result("1.2", "sigmoid: fails", ("sigmoid",), 2, "visible", message=dirty, hint=dirty),
        Result("1.3", "sigmoid: gated", ("sigmoid",), 1, "visible", message="Not awarded.", not_run=GATED),
        Result("2.1", "naiveSoftmaxLossAndGradient: breaks the grader", ("naive_softmax",), 5, "visible"),
        Result("3.1", "negSamplingLossAndGradient: no function", ("neg_sampling",), 5, "visible"),
        Result("4.1", "skipgram: timed", ("skipgram",), 0, "visible", passed=True, message=f"Passed. 2 ms {dirty}"),
    ]
    tests[3].grader_error, tests[3].message = True, "The grader hit an internal error on this test."
    tests[4].not_run, tests[4].message = MISSING_FUNCTION, "Not run: negSamplingLossAndGradient is not defined."
    for number, test in enumerate(tests):
        test.seconds = 0.25 * number
    run = GradingRun(f"/tmp/{dirty}\udcff.py", 224, False, tests, summary=dirty, execution_time=2.5)
    run.printed_during = {"visible": dirty}
    for key, value in changes.items():
        setattr(run, key, value)
    return run


def test_the_writer_itself_strips_every_forbidden_character():
    text = junit.text(made_run())
    root = ET.fromstring(text)
    SCHEMA.validate(text)
    for element in root.iter():
        for value in [element.text or "", *element.attrib.values()]:
            assert not set(value) & set(FORBIDDEN + "\r"), (element.tag, value)
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == "line one " + "?" * len(FORBIDDEN)
    assert failure.text.split("\n")[1:3] == ["line two", "line three"]


def test_each_outcome_has_its_element_and_type():
    root = ET.fromstring(junit.text(made_run()))
    found = {}
    for case in root.iter("testcase"):
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        found[case.get("name").split(" ")[0]] = None if problem is None else (problem.tag, problem.get("type"))
    assert found == {
        "1.1": None,
        "1.2": ("failure", junit.FAILED),
        "1.3": ("failure", junit.NOT_RUN[GATED]),
        "2.1": ("error", junit.GRADER_ERROR),
        "3.1": ("failure", junit.NOT_RUN[MISSING_FUNCTION]),
        "4.1": None,  # a 0-point test is a test case like any other
    }
    assert counts(root) == {"tests": 6, "failures": 3, "errors": 1, "skipped": 0}
    assert_counts_add_up(root)
    timed = next(c for c in root.iter("testcase") if c.get("name").startswith("4.1 "))
    assert timed.get("name") == "4.1 timed [0 points]" and properties(timed)["feedback"].startswith("Passed. 2 ms")
    assert [s.get("time") for s in root.findall("testsuite")] == ["0.750", "0.750", "1.000", "1.250"]
    assert root.get("time") == "2.500"


def test_the_import_failure_summary_is_added_only_to_tests_it_stopped():
    run = made_run(summary="word2vec.py could not be imported: SyntaxError at line 3")
    run.tests[2].not_run = IMPORT_FAILED
    root = ET.fromstring(junit.text(run))
    texts = {c.get("name").split(" ")[0]: c.find("failure") for c in root.iter("testcase")}
    assert texts["1.3"].text.endswith("\n\nword2vec.py could not be imported: SyntaxError at line 3")
    assert texts["1.3"].get("type") == junit.NOT_RUN[IMPORT_FAILED]
    assert "SyntaxError" not in texts["1.2"].text


def test_a_long_first_line_is_cut_in_the_message_only():
    long = "x" * 5000
    run = made_run()
    run.tests[1].message, run.tests[1].hint = long, ""
    failure = ET.fromstring(junit.text(run)).find("testsuite/testcase/failure")
    assert len(failure.get("message")) == junit.MESSAGE_CHARACTERS and failure.get("message").endswith("...")
    assert failure.text == long


# --- the schema catches what it should ---------------------------------------

BROKEN = {
    "a test case without classname": lambda root: root.find(".//testcase").attrib.pop("classname"),
    "a failure without type": lambda root: root.find(".//failure").attrib.pop("type"),
    "a negative count": lambda root: root.find("testsuite").set("tests", "-1"),
    "a time that is no number": lambda root: root.find(".//testcase").set("time", "fast"),
    "a suite without name": lambda root: root.find("testsuite").attrib.pop("name"),
    "properties after the failure": lambda root: _move_properties_last(root.find(".//failure/..")),
    "an element of no JUnit format": lambda root: ET.SubElement(root.find(".//testcase"), "points"),
    "system-out before the test cases": lambda root: root.find("testsuite").insert(0, ET.Element("system-out")),
}


def _move_properties_last(case):
    properties = case.find("properties")
    case.remove(properties)
    case.append(properties)


@pytest.mark.parametrize("breaking", BROKEN)
def test_the_schema_refuses_what_consumers_may_refuse(breaking):
    root = ET.fromstring(junit.text(made_run()))
    assert SCHEMA.is_valid(root)
    BROKEN[breaking](root)
    assert not SCHEMA.is_valid(root)


# --- batch --------------------------------------------------------------------


def test_batch_writes_junit_xml_with_a_suite_per_submission_and_function(tmp_path):
    export = tmp_path / "class"
    for student, source in [("alice", "reference"), ("bob.smith", "example"), ("carol", "import fails")]:
        (export / student).mkdir(parents=True)
        (export / student / "word2vec.py").write_text(SOURCES[source], encoding="utf-8")
    (export / "dave").mkdir()  # submitted nothing
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "grader", "batch", export, "--out", tmp_path / "out", "--jobs", "2"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert str(tmp_path / "out" / "junit.xml") in done.stdout
    text = (tmp_path / "out" / "junit.xml").read_text(encoding="utf-8")
    SCHEMA.validate(text)
    root = ET.fromstring(text)
    assert_counts_add_up(root)
    suites = [s.get("name") for s in root.findall("testsuite")]
    titles = [f.title for f in registry.functions()]
    ids = ["alice", "bob.smith", "carol"]
    assert suites == [f"{i}: {title}" for i in ids for title in titles] + ["dave: submission"]
    cases = list(root.iter("testcase"))
    # GitLab and Jenkins key a test case by classname and name: none may repeat.
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == len(cases)
    assert {c.get("classname") for c in cases if c.get("classname").startswith("bob.smith.")} == {
        f"bob.smith.{f.name}" for f in registry.functions()
    }
    (dave,) = [c for c in cases if c.get("classname").startswith("dave.")]
    assert dave.find("failure").get("type") == junit.NOT_GRADED
    # Each submission's points are those of scores.csv.
    import csv

    with open(tmp_path / "out" / "scores.csv", encoding="utf-8", newline="") as handle:
        scores = {row["id"]: row for row in csv.DictReader(handle)}
    for suite in root.findall("testsuite")[: len(ids) * len(titles)]:
        submission, title = suite.get("name").split(": ")
        tag = next(f.tag for f in registry.functions() if f.title == title)
        assert float(properties(suite)["points"]) == pytest.approx(float(scores[submission][tag]))
    # And reports/<id>.xml is what local --format junit writes for that file: classnames word2vec.<function>.
    for submission in [*ids, "dave"]:
        single = (tmp_path / "out" / "reports" / f"{submission}.xml").read_text(encoding="utf-8")
        SCHEMA.validate(single)
        assert {c.get("classname").split(".")[0] for c in ET.fromstring(single).iter("testcase")} == {"word2vec"}


def test_a_grader_error_in_batch_is_a_junit_error(tmp_path):
    from grader import config
    from grader.instructor.batch import outputs, runner
    from grader.instructor.batch.submissions import Submission

    vanished = Submission("vanished", file=tmp_path / "gone.py", root=tmp_path / "gone.py")
    broken = runner.grade_submission(vanished, config.load(None, hidden=True), launcher=None)
    nothing = Submission("empty", missing="no .py file in the folder")
    outputs.write_junit(tmp_path / "junit.xml", [(vanished, broken), (nothing, runner.missing_outcome(nothing))])
    text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    SCHEMA.validate(text)
    root = ET.fromstring(text)
    assert counts(root) == {"tests": 2, "failures": 1, "errors": 1, "skipped": 0}
    error = root.find("testsuite/testcase/error")
    assert error.get("type") == junit.GRADER_ERROR and "FileNotFoundError" in error.get("message")
    assert "Traceback" in error.text  # junit.xml is the instructor's: the details stay
    assert [c.get("classname") for c in root.iter("testcase")] == ["empty.submission", "vanished.submission"]
