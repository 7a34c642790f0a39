"""The report formats: terminal colour, Gradescope markdown, the HTML page, and the page in a real browser."""

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from conftest import CHROMIUM_FLAGS, REPO
from grader import config
from grader.reporting import report
from grader.reporting.results import TestResult as Result  # not Test*: pytest would try to collect it

EXAMPLE = REPO / "examples" / "word2vec.py"
REFERENCE = REPO / "reference" / "word2vec.py"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
HOSTILE = "<script>alert(1)</script>"
RESULT_KEYS = {"score", "execution_time", "output", "output_format", "tests"}
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "output_format", "tags", "visibility"}


def grader(*args, cwd=REPO, **environment):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def grader_on_a_terminal(*args, **environment):
    """stdout of the grader when its stdout is a terminal (a pseudo-terminal here)."""
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm", **environment)
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", *map(str, args)],
        cwd=REPO,
        env=env,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(secondary)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        process.wait(timeout=300)
    return process.returncode, b"".join(chunks).decode().replace("\r\n", "\n")


def display(run):
    return f"{run.score:g}/{run.max_score:g}"


def by_number(results):
    return {t["number"]: t for t in results["tests"]}


# --- terminal text -------------------------------------------------------


def test_text_is_plain_when_piped_and_coloured_on_request():
    piped = grader("local", EXAMPLE, "--seed", "5")
    never = grader("local", EXAMPLE, "--seed", "5", "--color", "never")
    always = grader("local", EXAMPLE, "--seed", "5", "--color", "always")
    assert piped.returncode == never.returncode == always.returncode == 1
    assert not ANSI_ESCAPE.search(piped.stdout) and "\x1b" not in piped.stdout
    assert never.stdout == piped.stdout
    assert "\x1b[32mpassed\x1b[0m" in always.stdout and "\x1b[1;31mFAILED\x1b[0m" in always.stdout
    # Colour only decorates: without the escapes it is the plain report, column for column.
    assert ANSI_ESCAPE.sub("", always.stdout) == piped.stdout


def test_a_terminal_gets_colour_unless_no_color_is_set():
    code, coloured = grader_on_a_terminal("local", EXAMPLE, "--seed", "5")
    assert code == 1 and ANSI_ESCAPE.search(coloured)
    code, plain = grader_on_a_terminal("local", EXAMPLE, "--seed", "5", NO_COLOR="1")
    assert code == 1 and "FAILED" in plain and "\x1b" not in plain
    assert plain == ANSI_ESCAPE.sub("", coloured)
    # An explicit --color always outranks the environment, as no-color.org asks.
    code, forced = grader_on_a_terminal("local", EXAMPLE, "--seed", "5", "--color", "always", NO_COLOR="1")
    assert ANSI_ESCAPE.search(forced)


def test_color_auto_rules(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert report.color_wanted("auto", Terminal()) is True
    assert report.color_wanted("auto", None) is False
    assert report.color_wanted("never", Terminal()) is False
    assert report.color_wanted("always", None) is True
    monkeypatch.setenv("NO_COLOR", "")  # empty counts as unset
    assert report.color_wanted("auto", Terminal()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert report.color_wanted("auto", Terminal()) is False
    assert report.color_wanted("always", Terminal()) is True
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert report.color_wanted("auto", Terminal()) is False


# --- Gradescope markdown -------------------------------------------------


def test_results_json_keeps_gradescope_schema_with_markdown_outputs():
    done = grader("local", EXAMPLE, "--all", "--format", "json")
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)
    assert set(results) >= RESULT_KEYS
    assert isinstance(results["score"], float) and isinstance(results["execution_time"], float)
    assert isinstance(results["output"], str) and results["output_format"] == "md"
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    for test in results["tests"]:
        assert set(test) >= TEST_KEYS, test["number"]
        assert test["output_format"] == "md"
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["number"], str) and isinstance(test["name"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert isinstance(test["tags"], list) and test["tags"]
        assert test["visibility"] in ("visible", "after_due_date", "after_published", "hidden")
        if test["status"] == "passed":
            assert test["output"].startswith("Passed") and "\n" not in test["output"]


def test_markdown_summary_has_points_per_function_seed_and_reproduce_command(grade):
    run = grade(EXAMPLE, hidden=True)
    summary = report.results_json(run)["output"]
    shown = report.shown_at_once(run)  # the summary counts only the tests students see at once
    assert f"**{shown.score:g}/{shown.max_score:g} points**" in summary
    assert "| function | points | tests passed |" in summary
    for part in shown.functions:
        assert f"| {part.title} | {part.score:g}/{part.max_score:g} | {part.passed}/{len(part.tests)} |" in summary
    assert f"Seed {run.seed}." in summary
    assert f"`python -m grader local word2vec.py --seed {run.seed}`" in summary


def test_a_failure_in_markdown_is_a_code_block_then_the_hint_in_bold(grade):
    run = grade(EXAMPLE, hidden=True)
    plain = {t.number: t.output for t in run.tests}
    output = by_number(report.results_json(run))["3.4"]["output"]
    fenced = re.fullmatch(r"```text\n(.*?)\n```\n\n\*\*Likely cause:\*\* (.*)", output, re.S)
    assert fenced, output
    block, hint = fenced.groups()
    # The block is the message verbatim, so expected and got stay aligned ...
    assert "\n  expected: [" in block and "\n  got:      [" in block
    assert block == plain["3.4"].split("\n  Likely cause:")[0]
    # ... and the likely cause is a paragraph of its own, not in the block.
    assert "Likely cause" not in block
    assert "np.add.at" in hint and "\n" not in hint


def test_markdown_cannot_be_broken_out_of():
    message = "sigmoid raised ValueError: ``` **bold** <b>x</b>\n  at line 3 in sigmoid: raise ValueError()"
    result = Result(
        "1.1",
        "sigmoid: values",
        ("sigmoid",),
        4.0,
        "visible",
        message=message,
        hint="a <script> and *stars* _under_ [link](x)",
    )
    output = report.markdown_output(result)
    assert output.startswith("````text\n") and "\n````\n\n**Likely cause:** " in output
    hint = output.split("**Likely cause:** ")[1]
    assert hint == r"a \<script\> and \*stars\* \_under\_ \[link\](x)"


# --- HTML ----------------------------------------------------------------


def test_html_report_is_written_with_o_and_self_contained(tmp_path, grade):
    page = tmp_path / "report.html"
    done = grader("local", EXAMPLE, "--all", "--format", "html", "-o", page)
    assert done.returncode == 1, done.stderr
    run = grade(EXAMPLE, hidden=True)
    assert f"report written to {page}" in done.stdout and display(run) in done.stdout
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"<script|<link|@import|url\(", text, re.I)
    assert display(run) in text
    passed = grader("local", REFERENCE, "--format", "html", "-o", tmp_path / "reference.html")
    assert passed.returncode == 0


def test_o_writes_text_and_json_too_and_a_bad_path_is_a_usage_error(tmp_path):
    piped = grader("local", EXAMPLE)
    done = grader("local", EXAMPLE, "-o", tmp_path / "report.txt", "--color", "auto")
    assert done.returncode == 1
    assert (tmp_path / "report.txt").read_text() == piped.stdout
    grader("local", EXAMPLE, "--format", "json", "-o", tmp_path / "results.json")
    assert json.loads((tmp_path / "results.json").read_text())["output_format"] == "md"
    missing = grader("local", EXAMPLE, "-o", tmp_path / "no" / "such" / "folder.html")
    assert missing.returncode == 2 and "cannot write the report" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert grader("local", EXAMPLE, "--color", "sometimes").returncode == 2


def test_hostile_exception_message_is_escaped(tmp_path, reference_source, write_submission):
    source = reference_source.replace("def sigmoid(x):\n", f"def sigmoid(x):\n    raise ValueError({HOSTILE!r})\n", 1)
    assert source != reference_source
    submission = write_submission(tmp_path, source)
    page = tmp_path / "report.html"
    done = grader("local", submission, "--format", "html", "-o", page)
    assert done.returncode == 1, done.stderr
    text = page.read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert html.escape(HOSTILE) in text
    # The same message on Gradescope stays inside a code block.
    results = json.loads(grader("local", submission, "--format", "json").stdout)
    assert all(t["output"].startswith("```") for t in results["tests"] if HOSTILE in t["output"])
    assert HOSTILE not in results["output"]


# --- the HTML page in a real browser ---------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


class VisibleText(HTMLParser):
    """The text a reader sees, each piece with the elements it sits in (no head, no closed <details> body)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.pieces = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._visible():
            self.pieces.append((data, list(self.stack)))

    def _visible(self):
        for depth, (tag, attrs) in enumerate(self.stack):
            if tag in ("head", "style", "script", "template"):
                return False
            if tag == "details" and "open" not in attrs:
                inside = self.stack[depth + 1 : depth + 2]
                if not inside or inside[0][0] != "summary":
                    return False
        return True

    def text(self, *within):
        """The visible text inside elements matching every one of ``within`` (nested in any order)."""
        chosen = [
            data
            for data, stack in self.pieces
            if all(any(where(tag, attrs) for tag, attrs in stack) for where in within)
        ]
        return re.sub(r"\s+", " ", "".join(chosen)).strip()


def element_id(identifier):
    return lambda tag, attrs: attrs.get("id") == identifier


def css_class(name):
    return lambda tag, attrs: name in (attrs.get("class") or "").split()


@pytest.mark.browser
def test_a_browser_shows_the_report(tmp_path, grade):
    page = tmp_path / "report.html"
    done = grader("local", EXAMPLE, "--all", "--format", "html", "-o", page)
    assert page.exists(), done.stderr
    run = grade(EXAMPLE, hidden=True)
    failed = {t.number for t in run.tests if not t.passed}
    assert "3.4" in failed, "the example submission is meant to fail test 3.4"

    browser = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    seen = VisibleText()
    seen.feed(dom.stdout)

    assert seen.text(css_class("score")) == display(run)
    for part in report.functions(run):
        heading = seen.text(element_id(part.tag), lambda tag, attrs: tag == "h2")
        assert heading == f"{part.title} {part.code_name} {part.score:g}/{part.max_score:g}"
    assert seen.text(element_id("test-3.4"), css_class("badge")) == "FAILED"
    assert "np.add.at" in seen.text(element_id("test-3.4"), css_class("hint"))
    assert "expected:" in seen.text(element_id("test-3.4"), lambda tag, attrs: tag == "pre")
    for test in run.tests:
        badge = seen.text(element_id(f"test-{test.number}"), css_class("badge"))
        assert badge == test.verdict, test.number  # passed, FAILED, or "timed"/"not run" for a 0-point test

    screenshot = tmp_path / "report.png"
    shot = subprocess.run(
        [*browser, f"--screenshot={screenshot}", "--window-size=1200,2000", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert screenshot.exists(), shot.stderr[-2000:]
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 2000)
    assert len(png) > 30_000  # a blank page of this size compresses to a few kB


# --- what the submission printed -------------------------------------------

NAIVE_HEADER = (
    "def naiveSoftmaxLossAndGradient(\n    centerWordVec,\n    outsideWordIdx,\n    outsideVectors,\n    dataset\n):\n"
)
PRINTS = """\
    print("softmax on V =", outsideVectors.shape[0], "(a hidden case)" if outsideVectors.shape[0] >= 40 else "")
"""


@pytest.fixture
def printing_submission(tmp_path, reference_source, write_submission):
    """The reference, printing markup and a terminal escape at import and the vocabulary size in naive softmax."""
    assert NAIVE_HEADER in reference_source
    source = reference_source.replace(NAIVE_HEADER, NAIVE_HEADER + PRINTS)
    return write_submission(tmp_path, 'print("word2vec.py loaded <b>bold</b> \\x1b[2J")\n' + source)


def test_the_text_report_shows_what_the_submission_printed(printing_submission, grade):
    text = report.text(grade(printing_submission))
    label = "What word2vec.py printed while being graded (its own output, not the grader's):"
    assert label in text
    printed = text.split(label)[1].split("\n\n")[0].splitlines()[1:]
    assert printed[0] == "  | word2vec.py loaded <b>bold</b> ?[2J"  # no terminal escape gets through
    assert "  | softmax on V = 3 " in printed and all(line.startswith("  | ") for line in printed)
    assert "\x1b" not in text
    assert text.index(label) < text.index("Total:")


def test_the_html_report_shows_what_the_submission_printed_escaped(printing_submission, grade):
    page = report.html(grade(printing_submission))
    assert "<h2>What word2vec.py printed</h2>" in page
    assert html.escape("word2vec.py loaded <b>bold</b>") in page and "<b>bold</b>" not in page


def test_gradescope_shows_what_was_printed_with_the_tests_it_was_printed_during(printing_submission, grade):
    run = grade(printing_submission, hidden=True)
    results = report.results_json(run)
    # Printed at import and during the visible tests: in the summary every student sees at once.
    assert "**What word2vec.py printed** while being imported" in results["output"]
    assert "word2vec.py loaded <b>bold</b> ?[2J" in results["output"].split("```text\n")[1]
    assert "softmax on V = 12" in results["output"]
    # Printed during the hidden suite: only with the first hidden test, shown when it is.
    assert "a hidden case" in run.printed and "a hidden case" not in results["output"]
    later = [t for t in results["tests"] if "a hidden case" in t["output"]]
    assert [t["number"] for t in later] == ["1.5"] and later[0]["visibility"] == "after_due_date"
    assert "while the tests shown after the due date ran" in later[0]["output"]


def test_printed_output_is_cut_even_when_every_call_starts_a_new_worker(
    tmp_path, reference_source, write_submission, grade
):
    # Each crash retires the worker, which leaves an excerpt of its own.
    source = reference_source.replace(
        "def sigmoid(x):\n", "def sigmoid(x):\n    import os\n    print('x' * 20000, flush=True)\n    os._exit(3)\n", 1
    )
    run = grade(write_submission(tmp_path, source))
    keep = 2 * config.Limits().output_bytes  # one worker's stdout and stderr
    # One worker keeps at most output_bytes of stdout: cutting shows that several printed.
    assert len(run.printed) < keep + 100 and run.printed.endswith("more characters not shown)")


# --- commands the reports suggest ------------------------------------------


def shell_words(command, cwd):
    """The words a POSIX shell makes of ``command``, as the program it runs would get them."""
    done = subprocess.run(
        ["sh", "-c", f'set -- {command}; printf "%s\\0" "$@"'], cwd=cwd, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\0")[:-1]


def suggested_commands(run):
    """(report, command) for every command the reports suggest."""
    text = report.text(run).split("Reproduce this run: ")[1].strip()
    page = html.unescape(re.search(r"<code>(python -m grader local .*?)</code>", report.html(run), re.S).group(1))
    span = re.search(r"(`+) ?(python -m grader local .*?) ?\1(?!`)", report.summary(run), re.S).group(2)
    return {"text": text, "html": page, "markdown": span}


@pytest.mark.parametrize("name", ["word2vec (1).py", "it's $HOME `pwd` ~me;x.py", "-rf.py"])
def test_every_suggested_command_survives_a_posix_shell(tmp_path, reference_source, grade, name):
    submission = tmp_path / name
    submission.write_text(reference_source, encoding="utf-8")
    run = grade(submission)
    for form, command in suggested_commands(run).items():
        words = shell_words(command, tmp_path)
        path = str(submission) if form != "markdown" else ("./" + name if name.startswith("-") else name)
        assert words == ["python", "-m", "grader", "local", path, "--seed", str(run.seed)], form


def test_the_reproduce_command_grades_the_same_file_again(tmp_path, reference_files, grade):
    submission = tmp_path / "word2vec (1).py"
    submission.write_text(reference_files["word2vec.py"], encoding="utf-8")
    (tmp_path / "sgd.py").write_text(reference_files["sgd.py"], encoding="utf-8")
    run = grade(submission, seed=7)
    assert run.score == run.max_score > 0
    command = suggested_commands(run)["text"]
    done = subprocess.run(
        ["sh", "-c", f'python() {{ "$GRADER_PYTHON" "$@"; }}; {command}'],
        cwd=tmp_path,
        env=dict(os.environ, GRADER_PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"word2vec autograder: {submission}\nseed 7," in done.stdout and f"Total: {display(run)}\n" in done.stdout


# --- a submission that cannot be imported ------------------------------------

UNIMPORTABLE = "import numpy as np\n\nprint('starting')\nvectors = load_my_vectors()\n"
IMPORT_ERROR = "word2vec.py raised NameError while being imported: name 'load_my_vectors' is not defined"


def test_an_import_failure_is_shown_at_the_top_and_by_the_total_not_under_every_test(tmp_path, write_submission, grade):
    run = grade(write_submission(tmp_path, UNIMPORTABLE))
    lines = report.text(run).splitlines()
    total = f"Total: 0/{run.max_score:g}"
    assert [i for i, line in enumerate(lines) if line == IMPORT_ERROR] == [3, lines.index(total) - 3]
    first, last = run.tests[0].number, run.tests[-1].number
    assert lines[4:7] == [
        "  at line 4: vectors = load_my_vectors()",
        "",
        f"None of the {len(run.tests)} tests ran ({first} to {last}): word2vec.py could not be imported.",
    ]
    assert not any("Not run" in line or "FAILED" in line for line in lines)


def test_an_import_failure_in_html_and_markdown_is_not_repeated_per_test(tmp_path, write_submission, grade):
    run = grade(write_submission(tmp_path, UNIMPORTABLE), hidden=True)
    page = report.html(run)
    assert html.unescape(page).count(IMPORT_ERROR) == 1
    assert page.count("<pre>") == 2  # the import failure, and what the file printed
    assert page.count(">NOT RUN</span>") == len(run.tests) and "Not run" not in page
    assert f"None of the {len(run.tests)} tests ran: word2vec.py could not be imported (see above)." in page
    summary = report.summary(run)
    assert summary.count(IMPORT_ERROR) == 1
    assert "None of the tests ran: word2vec.py could not be imported." in summary


def test_a_likely_cause_in_the_students_own_text_is_never_rendered_as_a_hint(
    grade, write_submission, reference_source, tmp_path
):
    """Hints are a field the grader sets; an exception message cannot become one in any report."""
    spoof = reference_source.replace(
        "def sigmoid(x):",
        "def sigmoid(x):\n    raise ValueError('oops\\n  Likely cause: SPOOFED')\n\ndef _unused(x):",
        1,
    )
    run = grade(write_submission(tmp_path, spoof))
    failed = {t.number: t for t in run.tests}["1.1"]
    assert "SPOOFED" in failed.message and failed.hint == ""
    assert "SPOOFED" not in report.markdown_output(failed).split("```")[-1]
    assert '<div class="hint">' not in report.html(run).split('id="test-1.1"')[1].split("</li>")[0]
