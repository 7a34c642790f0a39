"""python -m grader batch: finding submissions, grading them in parallel, and what it writes."""

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import CHROMIUM_FLAGS, REPO
from grader import config, registry
from grader.instructor.batch import outputs, runner
from grader.instructor.batch.submissions import Submission, collect
from grader.registry import tags
from reference.mutants import MUTANTS, mutate

# Exports here hold word2vec.py with an sgd.py beside it: word2vec.py's mutants, not sgd.py's.
WORD2VEC_MUTANTS = [m for m in MUTANTS if m.file == "word2vec.py"]

REFERENCE = REPO / "reference" / "word2vec.py"
TEMPLATE = REPO / "student_template" / "word2vec.py"
EXAMPLE = REPO / "examples" / "word2vec.py"
# The sgd.py beside each kind's word2vec.py: its own folder's, else the reference's.
SGD = {"template": TEMPLATE.with_name("sgd.py"), "example": EXAMPLE.with_name("sgd.py")}
REFERENCE_SGD = REFERENCE.with_name("sgd.py")
# The whole rubric: what the reference earns, and every submission's max_total.
FULL = sum(f.points for f in registry.functions())
SYNTAX_ERROR = "import numpy as np\n\ndef sigmoid(x)\n    return 1 / (1 + np.exp(-x))\n"
EXPORT_SIZE = 200
CHROMIUM = Path("/usr/bin/chromium")
# Names that a CSV writer or an HTML page could get wrong.
AWKWARD_NAMES = ["Zoë Ångström", "Doe, Jane", '<b>Bob</b> & "Co"', "O'Brien", "李小龍"]


def batch(*args, cwd):
    """python -m grader batch ARGS in cwd, with this checkout's grader whatever cwd is."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "grader", "batch", *map(str, args)],
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=path),
        capture_output=True,
        text=True,
        timeout=900,
    )


def read_scores(out):
    with open(Path(out) / "scores.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sources():
    """name -> source of the submissions the tests build exports from."""
    reference = REFERENCE.read_text(encoding="utf-8")
    found = {
        "reference": reference,
        "template": TEMPLATE.read_text(encoding="utf-8"),
        "example": EXAMPLE.read_text(encoding="utf-8"),
        "syntax": SYNTAX_ERROR,
    }
    found.update({f"mutant:{m.name}": mutate(reference, m) for m in WORD2VEC_MUTANTS})
    return found


def submitters(number):
    """One submitter, or two for every tenth submission (a group)."""
    people = [
        {
            ":name": f"{AWKWARD_NAMES[number % len(AWKWARD_NAMES)]} {number}",
            ":sid": str(number),
            ":email": f"s{number}@uni.example",
        }
    ]
    if number % 10 == 0:
        people.append({":name": f"Partner {number}", ":sid": f"p{number}", ":email": f"p{number}@uni.example"})
    return people


def write_export(folder, kinds, records=None):
    """A Gradescope export: submission_<id>/word2vec.py and sgd.py per (id, kind), and submission_metadata.yml.

    kind is a key of sources(), or None for a folder with no .py file.
    records overrides the YAML (any object); by default every folder has a record.
    """
    folder.mkdir(parents=True)
    texts = sources()
    default = {}
    for number, (submission_id, kind) in enumerate(kinds):
        target = folder / f"submission_{submission_id}"
        target.mkdir()
        if kind is None:
            (target / "README.txt").write_text("I forgot to attach my file, sorry!\n")
        else:
            (target / "word2vec.py").write_text(texts[kind], encoding="utf-8")
            shutil.copy(SGD.get(kind, REFERENCE_SGD), target / "sgd.py")
        default[f"submission_{submission_id}"] = {
            ":submitters": submitters(number),
            ":created_at": "2024-02-01 10:00:00.000000000 -08:00",
            ":score": 0.0,
            ":results": {"score": 0.0, "tests": []},
            ":history": [],
        }
    metadata = default if records is None else records
    text = metadata if isinstance(metadata, str) else yaml.safe_dump(metadata, allow_unicode=True)
    (folder / "submission_metadata.yml").write_text(text, encoding="utf-8")
    return default


def export_kinds(size=EXPORT_SIZE):
    """[(id, kind)]: every mutant, a syntax error, an empty folder, the rest reference/template/example."""
    special = [f"mutant:{m.name}" for m in WORD2VEC_MUTANTS] + ["syntax", None]
    common = ["reference", "template", "example"]
    kinds = special + [common[i % 3] for i in range(size - len(special))]
    # Ids of different lengths, so that sorting by id has to be numeric.
    return [(str(7 + 991 * i), kind) for i, kind in enumerate(kinds)]


def grade_with_batch_settings(path, seed=None):
    from grader.grading import grade

    return grade(path, settings=config.load(None, seed=seed, hidden=True))


@pytest.fixture(scope="module")
def graded_export(tmp_path_factory):
    """The 200-submission export, graded once by the command line with two processes."""
    root = tmp_path_factory.mktemp("export")
    kinds = export_kinds()
    records = write_export(root / "assignment_1_export", kinds)
    done = batch(root / "assignment_1_export", "--jobs", 2, "--out", root / "out", cwd=root)
    return root, dict(kinds), records, done


@pytest.mark.slow
def test_export_batch_exits_zero_and_reports_progress(graded_export):
    root, kinds, records, done = graded_export
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"graded {EXPORT_SIZE}/{EXPORT_SIZE} (100%)" in done.stderr  # not a TTY: a line per tenth
    assert f"{EXPORT_SIZE - 1} of {EXPORT_SIZE} submissions graded" in done.stdout


@pytest.mark.slow
def test_export_rows_have_ids_names_emails_and_statuses_in_id_order(graded_export):
    root, kinds, records, done = graded_export
    rows = read_scores(root / "out")
    assert [r["id"] for r in rows] == sorted(kinds, key=int)
    assert list(rows[0]) == ["id", "name", "email", "total", "max_total", *tags(), "status"]
    for row in rows:
        people = records[f"submission_{row['id']}"][":submitters"]
        assert row["name"] == "; ".join(p[":name"] for p in people)
        assert row["email"] == "; ".join(p[":email"] for p in people)
        assert row["max_total"] == f"{FULL:g}"
        kind = kinds[row["id"]]
        if kind is None:
            assert row["status"].startswith("no submission: no word2vec.py"), row
            assert row["total"] == "0"
        elif kind == "syntax":
            assert row["status"].startswith("import failed: word2vec.py has a SyntaxError at line 3"), row
            assert row["total"] == "0"
        else:
            assert row["status"] == "graded", row


@pytest.mark.slow
def test_export_totals_match_grading_each_file_alone(graded_export):
    root, kinds, records, done = graded_export
    rows = {r["id"]: r for r in read_scores(root / "out")}
    expected = {"reference": FULL, "template": 0.0}
    sample = {}
    for submission_id, kind in kinds.items():  # every plain kind once, and every fifth mutant
        if kind is None or kind in sample.values():
            continue
        if kind.startswith("mutant:") and list(kinds.values()).index(kind) % 5:
            continue
        sample[submission_id] = kind
    # The four plain kinds (reference, template, example, syntax) and every fifth of the mutants.
    assert len(sample) == 4 + -(-len(WORD2VEC_MUTANTS) // 5)
    for submission_id, kind in sample.items():
        folder = root / "assignment_1_export" / f"submission_{submission_id}"
        run = grade_with_batch_settings(folder / "word2vec.py")
        row = rows[submission_id]
        assert float(row["total"]) == pytest.approx(run.score), (kind, row)
        for tag, (got, _) in run.by_function().items():
            assert float(row[tag]) == pytest.approx(got), (kind, tag, row)
        if kind in expected:
            assert run.score == expected[kind]
    example = grade_with_batch_settings(EXAMPLE)
    assert 0 < example.score < FULL
    assert all(float(r["total"]) == example.score for i, r in rows.items() if kinds[i] == "example")
    assert all(float(r["total"]) == FULL for i, r in rows.items() if kinds[i] == "reference")
    assert all(float(r["total"]) == 0 for i, r in rows.items() if kinds[i] == "template")


@pytest.mark.slow
def test_export_every_mutant_loses_points_under_its_function_only(graded_export):
    root, kinds, records, done = graded_export
    rows = {r["id"]: r for r in read_scores(root / "out")}
    reference = next(rows[i] for i, kind in kinds.items() if kind == "reference")
    maxima = {tag: float(reference[tag]) for tag in tags()}
    for mutant in WORD2VEC_MUTANTS:
        [row] = [rows[i] for i, kind in kinds.items() if kind == f"mutant:{mutant.name}"]
        for tag in tags():
            if tag == mutant.function:
                assert float(row[tag]) < maxima[tag], (mutant.name, row)
            else:
                assert float(row[tag]) == maxima[tag], (mutant.name, tag, row)
        assert float(row["total"]) < FULL


@pytest.mark.slow
def test_export_writes_a_text_and_json_report_per_submission(graded_export):
    root, kinds, records, done = graded_export
    reports = root / "out" / "reports"
    for submission_id, kind in kinds.items():
        text = (reports / f"{submission_id}.txt").read_text(encoding="utf-8")
        results = json.loads((reports / f"{submission_id}.json").read_text(encoding="utf-8"))
        if kind is None:
            assert "no word2vec.py" in text and results["score"] == 0 and results["tests"] == []
        else:
            assert "Total:" in text
            assert len(results["tests"]) > 20
    reference_id = next(i for i, kind in kinds.items() if kind == "reference")
    text = (reports / f"{reference_id}.txt").read_text(encoding="utf-8")
    assert f"Total: {FULL:g}/{FULL:g}" in text
    # The report names the submission as it is in the export, not the grader's staged copy.
    assert str(root / "assignment_1_export" / f"submission_{reference_id}" / "word2vec.py") in text


@pytest.mark.slow
def test_export_summary_page_has_histogram_pass_rates_hints_and_links(graded_export):
    root, kinds, records, done = graded_export
    page = (root / "out" / "summary.html").read_text(encoding="utf-8")
    assert f'<div class="figure" id="submission-count"><b>{EXPORT_SIZE}</b>' in page
    assert page.count('<rect class="bin"') == 10
    low = 9 * (FULL / 10)  # the last of ten bins
    top_bin = sum(float(r["total"]) >= low for r in read_scores(root / "out"))
    assert top_bin > sum(kind == "reference" for kind in kinds.values())  # and mutants losing little
    assert f"<title>{top_bin} submissions with {low:g} to {FULL:g} points</title>" in page
    test_rows = page.split('id="pass-rates"')[1].split("</table>")[0]
    numbers = [t.number for t in grade_with_batch_settings(REFERENCE).tests]
    for number in numbers:
        assert f'<tr class="test"><td>{number}</td>' in test_rows
    # The reference passes everything, so no pass rate is 0.
    assert '<td class="num">0/' not in test_rows
    hints = page.split('id="hints"')[1].split("</ol>")[0]
    assert 1 <= hints.count("<li>") <= 10 and "submission" in hints
    for submission_id in kinds:
        assert f'<a href="reports/{submission_id}.txt">{submission_id}</a>' in page
    # Student names are escaped, never markup; nothing is fetched and nothing runs.
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; &#34;Co&#34;" in page and "<b>Bob</b>" not in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


@pytest.mark.browser
@pytest.mark.slow
def test_export_summary_page_renders_in_a_real_browser(graded_export, tmp_path):
    root, kinds, records, done = graded_export
    page = root / "out" / "summary.html"
    browser = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(browser + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<svg id="histogram"' in dom.stdout and dom.stdout.count('class="histogram-bin"') == 10
    assert '<table id="pass-rates">' in dom.stdout and dom.stdout.count('<tr class="test">') > 20
    assert "%</td>" in dom.stdout
    screenshot = tmp_path / "summary.png"
    shot = subprocess.run(
        browser + [f"--screenshot={screenshot}", "--window-size=1200,1600", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 30_000  # a blank 1200x1600 page is a few kB
    if os.environ.get("GRADER_KEEP_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["GRADER_KEEP_SCREENSHOT"])


def test_same_seed_gives_identical_scores_csv(tmp_path):
    kinds = [
        ("3", "reference"),
        ("12", "example"),
        ("20", "mutant:" + WORD2VEC_MUTANTS[0].name),
        ("41", "syntax"),
        ("55", None),
        ("60", "template"),
    ]
    write_export(tmp_path / "export", kinds)
    first = batch(tmp_path / "export", "--seed", 7, "--out", tmp_path / "first", "--jobs", 2, cwd=tmp_path)
    second = batch(tmp_path / "export", "--seed", 7, "--out", tmp_path / "second", "--jobs", 1, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "first" / "scores.csv").read_bytes() == (tmp_path / "second" / "scores.csv").read_bytes()
    example = next(r for r in read_scores(tmp_path / "first") if r["id"] == "12")
    assert float(example["total"]) == grade_with_batch_settings(EXAMPLE, seed=7).score


def test_folder_of_py_files_and_folder_of_folders(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(REFERENCE, files / "alice.py")
    shutil.copy(EXAMPLE, files / "bob.py")
    # A neighbour in a folder of files is another student: it must not be importable.
    (files / "mallory.py").write_text("from alice import *\n")
    folders = tmp_path / "folders"
    (folders / "carol" / "hw2").mkdir(parents=True)
    shutil.copy(REFERENCE, folders / "carol" / "hw2" / "word2vec.py")
    shutil.copy(REFERENCE_SGD, folders / "carol" / "hw2" / "sgd.py")
    (folders / "dave").mkdir()
    (folders / "dave" / "my_solution.py").write_text(TEMPLATE.read_text())
    (folders / "erin").mkdir()
    (folders / "erin" / "notes.txt").write_text("no code here")
    # A helper module in the student's own folder still serves the submission.
    (folders / "frank").mkdir()
    (folders / "frank" / "word2vec.py").write_text("from frank_helpers import *\n")
    shutil.copy(REFERENCE, folders / "frank" / "frank_helpers.py")
    shutil.copy(REFERENCE_SGD, folders / "frank" / "sgd.py")
    (folders / "alice").mkdir()  # the same id as files/alice.py
    shutil.copy(TEMPLATE, folders / "alice" / "word2vec.py")
    (folders / "__MACOSX").mkdir()
    single = tmp_path / "zed.py"
    shutil.copy(EXAMPLE, single)

    done = batch(files, folders, single, "--out", tmp_path / "out", "--jobs", 3, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in read_scores(tmp_path / "out")}
    assert list(rows) == ["alice", "alice-2", "bob", "carol", "dave", "erin", "frank", "mallory", "zed"]
    assert "two submissions have the id alice" in done.stderr
    # A file of a folder of files is graded alone: no sgd.py beside it, so sgd alone scores 0.
    assert rows["alice"]["sgd"] == "0" and rows["alice-2"]["total"] == "0"
    assert float(rows["alice"]["total"]) == FULL - registry.by_tag("sgd").points
    assert rows["carol"]["total"] == rows["frank"]["total"] == f"{FULL:g}"
    assert rows["dave"]["status"] == "graded" and rows["dave"]["total"] == "0"
    assert rows["bob"]["total"] == rows["zed"]["total"] != "0"
    assert rows["erin"]["status"].startswith("no submission: no word2vec.py in the submission")
    assert rows["mallory"]["status"].startswith("import failed: mallory.py raised ModuleNotFoundError"), rows
    assert all(r["name"] == r["email"] == "" for r in rows.values())
    assert (tmp_path / "out" / "reports" / "carol.txt").read_text().count(f"Total: {FULL:g}/{FULL:g}") == 1


REAL_FORMAT = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2024-02-01 10:00:00.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1e3
  :results:
    score: 100.0
  :history: []
submission_102:
  :submitters:
  - "just a string, not a mapping"
  - :name: Grace Hopper
    :email: grace@example.edu
submission_103: "a record that is a string"
submission_104:
  :created_at: 2024-02-01 10:00:00.000000000 -08:00
submission_105:
  :submitters:
  - :name: [not, text]
    :email: linus@example.edu
submission_999:
  :submitters:
  - :name: Ghost
"""


def test_metadata_read_tolerantly_from_the_real_format(tmp_path):
    write_export(
        tmp_path / "export", [(i, "reference") for i in ("101", "102", "103", "104", "105", "106")], records=REAL_FORMAT
    )
    done = batch(tmp_path / "export", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {r["id"]: r for r in read_scores(tmp_path / "out")}
    assert list(rows) == ["101", "102", "103", "104", "105", "106", "999"]
    assert (rows["101"]["name"], rows["101"]["email"], rows["101"]["status"]) == (
        "Ada Lovelace",
        "ada@example.edu",
        "graded",
    )
    assert (rows["102"]["name"], rows["102"]["email"]) == ("Grace Hopper", "grace@example.edu")
    assert (
        rows["102"]["status"]
        == "graded [metadata: submitter 1 is a str ('just a string, not a mapping'), not a mapping]"
    )
    assert (
        rows["103"]["status"] == "graded [metadata: the record is a str ('a record that is a string'), not a mapping]"
    )
    assert rows["104"]["status"] == "graded [metadata: no :submitters]"
    assert (rows["105"]["name"], rows["105"]["email"]) == ("", "linus@example.edu")
    assert rows["105"]["status"] == "graded [metadata: submitter 1's :name is a list]"
    assert rows["106"]["status"] == "graded [metadata: not in submission_metadata.yml]"
    assert rows["999"]["status"] == (
        "no submission: submission_metadata.yml lists submission_999, but the export has no such folder"
    )
    assert all(rows[i]["total"] == f"{FULL:g}" for i in ("101", "102", "103", "104", "105", "106"))
    for problem in ("submission_102: submitter 1 is a str", "submission_103: the record is a str"):
        assert f"warning: {tmp_path / 'export' / 'submission_metadata.yml'}: {problem}" in done.stderr
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert "Problems reading the inputs" in page and "submitter 1 is a str" in page


@pytest.mark.parametrize(
    "metadata, problem",
    [
        ("- a list\n- not a mapping\n", "expected a mapping from submission folder to its record, found list"),
        ("submission_1: [unclosed\n", "is not valid YAML"),
        ("", "is empty"),
    ],
    ids=["list", "invalid-yaml", "empty"],
)
def test_unreadable_metadata_still_grades_everything(tmp_path, metadata, problem):
    write_export(tmp_path / "export", [("1", "reference"), ("2", "template")], records=metadata)
    done = batch(tmp_path / "export", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert problem in done.stderr and "names and emails are left empty" in done.stderr
    rows = read_scores(tmp_path / "out")
    assert [(r["id"], r["total"], r["name"]) for r in rows] == [("1", f"{FULL:g}", ""), ("2", "0", "")]
    assert all(r["status"] == "graded [metadata: submission_metadata.yml unreadable]" for r in rows)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing-folder"], "missing-folder does not exist"),
        (["empty"], "no submissions found in empty"),
        (["notes.txt"], "notes.txt is neither a folder nor a .py or .zip file"),
        (["files", "--config", "nowhere.yml"], "nowhere.yml: cannot be read"),
        (["files", "--config", "bad.yml"], "bad.yml: 'points.sigmoidd' names no test or function"),
        (["files", "--out", "notes.txt"], "cannot write the results to notes.txt"),
    ],
    ids=["missing-path", "no-submissions", "not-python", "no-config", "bad-config", "out-is-a-file"],
)
def test_usage_errors_exit_two_without_a_traceback(tmp_path, arguments, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "files").mkdir()
    shutil.copy(REFERENCE, tmp_path / "files" / "alice.py")
    (tmp_path / "notes.txt").write_text("not a submission")
    (tmp_path / "bad.yml").write_text("points:\n  sigmoidd: 5\n")
    done = batch(*arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("python -m grader: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "batch-results" / "scores.csv").exists()


def test_bad_jobs_is_a_usage_error(tmp_path):
    done = batch(tmp_path, "--jobs", "0", cwd=tmp_path)
    assert done.returncode == 2 and "--jobs" in done.stderr and "Traceback" not in done.stderr


def test_a_grader_bug_costs_only_its_submission(tmp_path):
    missing = Submission("vanished", file=tmp_path / "gone.py", root=tmp_path / "gone.py")
    outcome = runner.grade_submission(missing, config.load(None, hidden=True), launcher=None)
    assert outcome.status == "grader error: FileNotFoundError" and outcome.total == 0
    assert "Traceback" in outcome.report and outcome.results["score"] == 0


class DiesWhenUnpickled:
    """A task whose arrival kills the grading process that receives it."""

    id = "dies"
    file = Path("dies.py")

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_dead_grading_process_costs_only_its_submission_and_is_replaced(tmp_path):
    folders = tmp_path / "folders"
    for name, word2vec in (("a", REFERENCE), ("b", TEMPLATE)):
        (folders / name).mkdir(parents=True)
        shutil.copy(word2vec, folders / name / "word2vec.py")
        shutil.copy(word2vec.with_name("sgd.py"), folders / name / "sgd.py")
    submissions, _ = collect([folders])
    outcomes = {}
    settings = config.load(None, hidden=True)
    runner.grade_all(
        [submissions[0], DiesWhenUnpickled(), submissions[1]],
        settings,
        jobs=1,
        done=lambda s, outcome: outcomes.setdefault(s.id, outcome),
    )
    assert outcomes["dies"].status == "grader error: grading process died (exit status 3)"
    assert (outcomes["a"].status, outcomes["a"].total) == ("graded", FULL)
    assert (outcomes["b"].status, outcomes["b"].total) == ("graded", 0)


def test_histogram_puts_zero_in_the_first_bin_and_full_marks_in_the_last():
    bins = outputs.histogram([0, 9.99, 10, 55, 100, 100], 100)
    assert [count for _, _, count in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert (bins[0][0], bins[-1][1]) == (0, 100)


def test_hints_that_differ_only_in_numbers_count_once_per_submission():
    def outcome(*hints):
        return runner.Outcome(
            "graded",
            tests=[runner.TestSummary(str(i), "t", "skipgram", False, (hint,)) for i, hint in enumerate(hints)],
        )

    row = "gradCenterVecs should be non-zero only in the center word's row, {}."
    all_passed = runner.Outcome("graded", tests=[runner.TestSummary("1", "t", "sigmoid", True)])
    outcomes = [
        outcome(row.format(1), row.format(1), "add, do not assign"),
        outcome(row.format(3)),
        outcome(row.format(3)),
        all_passed,
    ]
    assert outputs.common_hints(outcomes) == [(row.format(3), 3, 2), ("add, do not assign", 1, 1)]


def _descendants(pid):
    """Every live process below ``pid``, from /proc's parent links."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] not in ("Z", "X"):
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, frontier = set(), [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def test_grading_processes_and_their_fork_servers_end_when_the_batch_is_killed(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    for i in range(60):
        shutil.copy(REFERENCE, files / f"s{i:02d}.py")
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    parent = subprocess.Popen(
        [sys.executable, "-m", "grader", "batch", str(files), "--jobs", "2", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        below = set()
        for _ in range(600):  # until both grading processes have a fork server and a worker
            below = _descendants(parent.pid)
            if len(below) >= 5:
                break
            time.sleep(0.02)
        assert len(below) >= 4, f"the batch never got going: {below}"
    finally:
        parent.kill()
        parent.wait()
    for _ in range(1500):
        alive = {
            pid
            for pid in below
            if os.path.exists(f"/proc/{pid}")
            and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] not in "ZX"
        }
        if not alive:
            break
        time.sleep(0.02)
    for pid in alive:
        os.kill(pid, 9)
    assert not alive, f"still running after the batch was killed: {sorted(alive)}"
