"""The PrairieLearn path: grade under a copy of its /grade layout, and the course bundle build writes.

Each run lays out PrairieLearn's documented job folder under a temporary
root (student/, serverFilesCourse/word2vec_grader/grader.yml, tests/,
data/data.json), runs ``python -m grader prairielearn --root ROOT`` in
process, as root with the user switch where the suite has it, and checks
ROOT/results/results.json against PLATFORMS.md's contract field by field.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import REFERENCE_PATH, REPO, gradescope_python
from grader.cli import main
from grader.instructor import gradescope, prairielearn

EXAMPLE = REPO / "examples" / "word2vec.py"
TEMPLATE = REPO / "student_template" / "word2vec.py"
MAX_BYTES = 1_000_000
TRACEBACK = "Traceback (most recent call last)"


# -- the contract ---------------------------------------------------------------------

NUMBER = (int, float)


def contract_problems(raw):
    """What in results.json's bytes breaks PrairieLearn's contract (PLATFORMS.md); [] when nothing."""
    problems = []
    if len(raw) > MAX_BYTES:
        problems.append(f"{len(raw)} bytes, over {MAX_BYTES}")
    if TRACEBACK.encode() in raw:
        problems.append("a traceback")
    try:
        results = json.loads(raw)
    except ValueError as error:
        return [*problems, f"not JSON: {error}"]
    if not isinstance(results, dict):
        return [*problems, f"not an object: {type(results).__name__}"]

    def expect(holder, key, kinds, where, required=True):
        if key not in holder:
            if required:
                problems.append(f"{where}{key} is missing")
            return None
        value = holder[key]
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            problems.append(f"{where}{key} is {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
            return None
        return value

    gradable = expect(results, "gradable", (bool,), "")
    if gradable is False:
        errors = expect(results, "format_errors", (str, list), "")
        if not errors or isinstance(errors, list) and not all(isinstance(e, str) and e for e in errors):
            problems.append(f"format_errors must name the fix: {errors!r}")
        return problems
    score = expect(results, "score", (float,), "")
    if score is not None and not 0.0 <= score <= 1.0:
        problems.append(f"score {score} is outside [0, 1]")
    expect(results, "message", (str,), "")
    expect(results, "output", (str,), "")
    for image in expect(results, "images", (list,), "", required=False) or []:
        if not (isinstance(image, dict) and str(image.get("url", "")).startswith("data:image/")):
            problems.append(f"an image is not {{label, url: data:image/...}}: {str(image)[:80]}")
    for n, test in enumerate(expect(results, "tests", (list,), "") or []):
        where = f"tests[{n}]."
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        for key in ("name", "description", "message", "output"):
            expect(test, key, (str,), where)
        points = expect(test, "points", NUMBER, where)
        max_points = expect(test, "max_points", NUMBER, where)
        if points is not None and max_points is not None and not 0 <= points <= max_points:
            problems.append(f"{where}points {points} is not within [0, max_points {max_points}]")
    return problems


def test_the_contract_checker_catches_what_it_checks():
    """The checker above could not fail if it missed a field: each kind of break must show."""
    good = {"gradable": True, "score": 0.5, "message": "", "output": "", "tests": []}
    assert contract_problems(json.dumps(good).encode()) == []
    broken = [
        dict(good, score=1.5),
        dict(good, score=1),
        {k: v for k, v in good.items() if k != "score"},
        dict(good, gradable="yes"),
        dict(good, tests=[{"name": "t", "points": 2, "max_points": 1, "message": "", "output": ""}]),
        dict(good, images=["data:image/png;base64,"]),
        dict(good, message=TRACEBACK),
        {"gradable": False},
        {"gradable": False, "format_errors": [""]},
    ]
    for results in broken:
        assert contract_problems(json.dumps(results).encode()), results
    assert contract_problems(b"{") and contract_problems(b" " * (MAX_BYTES + 1))


# -- a job folder -----------------------------------------------------------------------


@pytest.fixture
def job(tmp_path):
    """A fresh /grade under tmp_path; job(files) puts them into student/ (name -> path, text or bytes).

    A word2vec.py uploaded alone gets the reference sgd.py beside it, as students upload both.
    """

    def lay_out(files=None, config=None):
        root = tmp_path / "grade"
        if root.exists():
            shutil.rmtree(root)
        course = root / "serverFilesCourse" / prairielearn.BUNDLE
        course.mkdir(parents=True)
        (course / "grader.yml").write_text(config or (REPO / "grader.yml").read_text(encoding="utf-8"))
        (root / "student").mkdir()
        (root / "tests").mkdir()
        (root / "tests" / "README.txt").write_text("the question's tests/: this grader has none\n")
        (root / "data").mkdir()
        (root / "data" / "data.json").write_text(json.dumps({"params": {}, "submitted_answers": {}}))
        files = dict(files or {})
        if "word2vec.py" in files and "sgd.py" not in files:
            files["sgd.py"] = REFERENCE_PATH.parent / "sgd.py"
        for name, content in files.items():
            path = root / "student" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copy(content, path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return lay_out


def graded(root, *arguments):
    """``python -m grader prairielearn --root ROOT`` in process; results.json, checked against the contract."""
    assert main(["prairielearn", "--root", str(root), *arguments]) == 0
    raw = (root / "results" / "results.json").read_bytes()
    assert contract_problems(raw) == [], raw[:2000]
    return json.loads(raw)


def by_number(results):
    return {t["name"].split(" ", 1)[0]: t for t in results["tests"]}


# -- grading ----------------------------------------------------------------------------


def test_the_reference_scores_one_on_the_public_tests(job, grade):
    results = graded(job({"word2vec.py": REFERENCE_PATH}))
    public = grade(REFERENCE_PATH)
    assert results["gradable"] is True and results["score"] == 1.0
    assert list(by_number(results)) == [t.number for t in public.tests]
    assert all(t["points"] == t["max_points"] for t in results["tests"])
    # Every test is worth points but the training check, reported only by default (training_points: 0).
    free = {t.number for t in public.tests if "training" in t.tags}
    assert free and all((t["max_points"] > 0) == (n not in free) for n, t in by_number(results).items())
    assert sum(t["max_points"] for t in results["tests"]) == public.max_score == public.score > 0
    assert "sgd" in {t.function for t in public.tests}  # graded from the sgd.py uploaded beside
    # The hidden suite is not graded here, and nothing shown says anything of it: not even its size.
    assert "hidden" not in json.dumps(results).lower()
    assert results["images"] == []
    # All the reference prints: sgd's progress lines, which test 5.3 has it print.
    heading, *printed = results["output"].splitlines()
    assert heading.startswith("What word2vec.py printed") and printed
    assert all(re.fullmatch(r"iter \d+: -?\d+\.\d+", line) for line in printed), printed


def test_the_template_scores_zero(job):
    results = graded(job({"word2vec.py": TEMPLATE, "sgd.py": TEMPLATE.with_name("sgd.py")}))
    assert results["gradable"] is True and results["score"] == 0.0
    assert all(t["points"] == 0 for t in results["tests"])


def test_the_example_gets_gradescopes_public_points_and_feedback(job, grade, tmp_path):
    """Per function and per test, the points and feedback text of Gradescope's public (visible) tests."""
    results = graded(job({"word2vec.py": EXAMPLE, "sgd.py": EXAMPLE.with_name("sgd.py")}))
    public = grade(EXAMPLE)
    assert 0 < results["score"] < 1
    assert results["score"] == round(public.score / public.max_score, 6)
    tests = by_number(results)
    for t in public.tests:
        assert (tests[t.number]["points"], tests[t.number]["max_points"]) == (t.score, t.max_score)
        assert tests[t.number]["message"] == t.output  # the text of `local`'s report, and of Gradescope's
        assert tests[t.number]["name"] == f"{t.number} {t.name}"
    assert not any(t["message"].startswith(("Passed", "Failed.")) for t in results["tests"] if t["points"] == 0)
    # Gradescope's own run of the same file, its visible tests summed per function.
    (tmp_path / "gs" / "submission").mkdir(parents=True)
    shutil.copy(EXAMPLE, tmp_path / "gs" / "submission" / "word2vec.py")
    shutil.copy(EXAMPLE.with_name("sgd.py"), tmp_path / "gs" / "submission" / "sgd.py")
    gradescope.run(tmp_path / "gs")
    on_gradescope = json.loads((tmp_path / "gs" / "results" / "results.json").read_text())
    function_of = {t.number: t.function for t in public.tests}
    sums = {}
    for t in on_gradescope["tests"]:
        if t["visibility"] == "visible":
            sums.setdefault(t["tags"][0], [0.0, 0.0])
            sums[t["tags"][0]][0] += t["score"]
            sums[t["tags"][0]][1] += t["max_score"]
    ours = {}
    for number, t in tests.items():
        ours.setdefault(function_of[number], [0.0, 0.0])
        ours[function_of[number]][0] += t["points"]
        ours[function_of[number]][1] += t["max_points"]
    assert ours == sums
    for function, (got, out_of) in public.by_function().items():
        assert f"{got:g}/{out_of:g}" in results["message"], function


def test_hidden_tests_are_graded_by_name_and_points_only_when_included(job, grade):
    config = (REPO / "grader.yml").read_text(encoding="utf-8").replace('hidden: "exclude"', 'hidden: "include"')
    assert 'hidden: "include"' in config
    results = graded(job({"word2vec.py": EXAMPLE}, config=config))
    everything = grade(EXAMPLE, hidden=True)
    assert results["score"] == round(everything.score / everything.max_score, 6)
    tests = by_number(results)
    assert list(tests) == [t.number for t in everything.tests]
    hidden = [t for t in everything.tests if t.visibility != "visible"]
    assert hidden and any(not t.passed for t in hidden)  # so that a failure's details could leak
    for t in hidden:
        shown = tests[t.number]
        assert shown["message"] == ("Passed." if t.passed else "Failed.") and shown["output"] == ""
        assert (shown["points"], shown["max_points"]) == (t.score, t.max_score)
        assert shown["description"].startswith("Shown by name and points only")
        if not t.passed:
            assert t.message.splitlines()[0] not in json.dumps(results)
    assert f"{len(hidden)} of these tests" in results["message"] and "not graded here" not in results["message"]


def test_a_public_test_not_visible_in_grader_yml_is_shown_by_name_and_points_only(job, grade):
    config = (
        (REPO / "grader.yml").read_text(encoding="utf-8").replace("visibility: {}", "visibility: {skipgram: hidden}")
    )
    results = graded(job({"word2vec.py": EXAMPLE}, config=config))
    public = grade(EXAMPLE)
    tests = by_number(results)
    for t in public.tests:
        shown = tests[t.number]
        # The training check needs skipgram's tests: it is shown no earlier than they are.
        if t.function == "skipgram" or "training" in t.tags:
            assert shown["message"] in ("Passed.", "Failed.") and "name and points only" in shown["description"]
        else:
            assert shown["message"] == t.output and shown["description"].startswith("Public test")
    assert results["score"] == round(public.score / public.max_score, 6)


def test_a_submission_that_fails_to_import_is_graded_zero(job):
    from grader import grading

    results = graded(job({"word2vec.py": "import numpy as np\nraise RuntimeError('at import')\n"}))
    public = len(grading.selected_tests(False))
    assert results["gradable"] is True and results["score"] == 0.0 and len(results["tests"]) == public
    assert "could not be imported" in results["message"] and "RuntimeError" in results["message"]


def test_the_file_is_found_as_on_gradescope_and_a_failing_sgd_py_costs_only_sgd(job):
    """A copy renamed by the browser, in a folder, with an sgd.py beside it that exits at import."""
    results = graded(job({"hw2/word2vec (1).py": REFERENCE_PATH, "hw2/sgd.py": "raise SystemExit(3)\n"}))
    lost = {t["name"].split()[1].rstrip(":") for t in results["tests"] if t["points"] < t["max_points"]}
    assert lost == {"sgd"} and results["score"] == pytest.approx(80 / 88)
    assert "sgd.py raised SystemExit while being imported" in results["message"]


def test_what_the_submission_prints_is_shown_as_its_own(job):
    source = REFERENCE_PATH.read_text(encoding="utf-8") + "\nprint('hello from the import')\n"
    results = graded(job({"word2vec.py": source}))
    assert results["score"] == 1.0
    assert "hello from the import" in results["output"] and "its own output" in results["output"]


@pytest.mark.parametrize(
    "files, fix",
    [
        ({}, "submit your completed word2vec.py"),
        ({"notes.txt": "no code here"}, "submit your completed word2vec.py"),
        ({"word2vec.ipynb": json.dumps({"cells": [], "nbformat": 4})}, "copy your functions into word2vec.py"),
        ({"word2vec.py": json.dumps({"cells": [], "metadata": {}, "nbformat": 4})}, "copy your functions"),
        ("zip", "submit the word2vec.py inside"),
        ("zip named .py", "submit the word2vec.py inside"),
    ],
    ids=["empty", "no-python", "notebook", "notebook-named-py", "zip", "zip-named-py"],
)
def test_what_is_not_python_is_not_gradable_and_names_the_fix(job, files, fix, tmp_path):
    if isinstance(files, str):
        archive = tmp_path / "hw.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            handle.write(REFERENCE_PATH, "word2vec.py")
        files = {"word2vec.zip" if files == "zip" else "word2vec.py": archive.read_bytes()}
    results = graded(job(files))
    assert results["gradable"] is False and "score" not in results
    assert fix in results["format_errors"][0], results


def test_a_broken_grader_yml_is_the_graders_failure(job, capsys):
    results = graded(job({"word2vec.py": REFERENCE_PATH}, config="limits:\n  memory_mb: 12\n"))
    # Not gradable: the grader's failure costs the student no attempt.
    assert results["gradable"] is False and "score" not in results
    assert "grader.yml" in results["format_errors"][0] and "contact course staff" in results["format_errors"][0]
    assert "memory_mb" in capsys.readouterr().out  # the why, for staff


def test_a_grader_bug_is_a_zero_that_says_so_and_never_a_traceback(job, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the grader")

    monkeypatch.setattr(gradescope, "grade_for_staff", broken)
    results = graded(job({"word2vec.py": REFERENCE_PATH}))
    assert results["gradable"] is False and "score" not in results
    said = results["format_errors"][0]
    assert "the grader's failure, not yours" in said and "RuntimeError" in said
    assert TRACEBACK in capsys.readouterr().out  # staff get it, in the job's log


def test_the_exit_status_is_not_zero_only_when_results_cannot_be_written(job, monkeypatch, capsys):
    def unwritable(path, results):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(prairielearn, "write_results", unwritable)
    assert prairielearn.run(job({"word2vec.py": TEMPLATE})) == 1
    assert "cannot write" in capsys.readouterr().err


def test_results_json_replaces_a_planted_symlink_and_whatever_else_was_there(job, tmp_path):
    root = job({"word2vec.py": REFERENCE_PATH})
    (root / "results").mkdir()
    (root / "results" / "forged.json").write_text("{}")
    target = tmp_path / "elsewhere.json"
    target.write_text("untouched")
    os.symlink(target, root / "results" / "results.json")
    results = graded(root)
    assert results["score"] == 1.0 and target.read_text() == "untouched"
    assert sorted(p.name for p in (root / "results").iterdir()) == ["results.json"]
    if os.geteuid() == 0:
        assert (root / "results").stat().st_mode & 0o777 == 0o700


def test_results_stay_under_one_megabyte_whatever_the_submission_prints(job):
    """grader.yml may keep up to 2 MiB of printed output; results.json is cut to fit, still valid."""
    config = (REPO / "grader.yml").read_text(encoding="utf-8").replace("output_bytes: 8192", "output_bytes: 1048576")
    source = REFERENCE_PATH.read_text(encoding="utf-8") + "\nimport sys\nsys.stdout.write('x' * 3000000)\n"
    root = job({"word2vec.py": source}, config=config)
    results = graded(root)
    assert results["score"] == 1.0
    assert (root / "results" / "results.json").stat().st_size <= MAX_BYTES
    assert "more characters not shown" in results["output"]


def test_fit_cuts_the_longest_texts_first_and_says_how_much():
    results = {
        "gradable": True,
        "score": 0.5,
        "message": "short summary",
        "output": "o" * 3_000_000,
        "tests": [{"name": "1.1", "message": "m" * 600_000, "output": ""}, {"name": "1.2", "message": "kept"}],
    }
    fitted = prairielearn.fit(results)
    raw = json.dumps(fitted, indent=2).encode()
    assert len(raw) <= MAX_BYTES and json.loads(raw) == fitted
    assert fitted["message"] == "short summary" and fitted["tests"][1]["message"] == "kept"
    assert fitted["output"].endswith("PrairieLearn takes at most 1 MB of results)")
    kept, note = fitted["output"].split("\n... (")
    assert kept == "o" * len(kept) and int(note.split()[0]) == 3_000_000 - len(kept)
    assert fitted["tests"][0]["message"] == "m" * 600_000  # cutting the longest text was enough


# -- the course bundle ----------------------------------------------------------------


def test_the_build_replaces_only_a_bundle_it_wrote(tmp_path):
    """--out . in the checkout must not replace its prairielearn/ (the entrypoint's source), nor any folder."""
    from grader.instructor import prairielearn_bundle
    from grader.instructor.build import BuildError

    (tmp_path / "prairielearn").mkdir()
    (tmp_path / "prairielearn" / "entrypoint.sh").write_text("mine")
    with pytest.raises(BuildError, match="is not a bundle that build wrote"):
        prairielearn_bundle.build(tmp_path)
    assert (tmp_path / "prairielearn" / "entrypoint.sh").read_text() == "mine"


def _python_version(python):
    done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True)
    return done.stdout.decode().strip()


@pytest.mark.slow
def test_the_bundle_installs_offline_and_grades_like_prairielearn(tmp_path, request, grade):
    """build --target prairielearn for the interpreter here, then entrypoint.sh in a copy of /grade."""
    python = gradescope_python()  # the system python3 as root: a stand-in for the image's
    version = _python_version(python)
    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--target", "prairielearn", "--python", version, "--out", tmp_path],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    bundle = tmp_path / "prairielearn"
    course = bundle / "serverFilesCourse" / prairielearn.BUNDLE
    info = json.loads((bundle / "questions" / "word2vec" / "info.json").read_text())
    assert info["type"] == "v3" and info["singleVariant"] is True and info["gradingMethod"] == "External"
    options = info["externalGradingOptions"]
    assert options["enabled"] is True and options["image"] == "prairielearn/grader-python"
    assert options["serverFilesCourse"] == [f"{prairielearn.BUNDLE}/"] and options["enableNetworking"] is False
    assert 120 <= options["timeout"] <= 600
    entrypoint = Path(options["entrypoint"].replace("/grade/serverFilesCourse", str(bundle / "serverFilesCourse")))
    assert entrypoint.is_file() and os.access(entrypoint, os.X_OK)
    question = (bundle / "questions" / "word2vec" / "question.html").read_text()
    assert '<pl-file-upload file-names="word2vec.py, sgd.py">' in question
    assert "<pl-external-grader-results>" in question and "<pl-file-preview>" in question
    for name in ("grader/__init__.py", "reference/word2vec.py", "student_template/word2vec.py", "grader.yml"):
        assert (course / name).is_file(), name
    wheels = sorted(p.name for p in (course / "wheels").glob("*.whl"))
    tag = f"cp{version.replace('.', '')}"
    assert any(w.startswith("numpy-") and tag in w for w in wheels) and any(
        w.startswith("word2vec_grader") for w in wheels
    )

    # PrairieLearn's /grade, which every user may traverse (tmp_path's parents are root's alone).
    root = Path(tempfile.mkdtemp(prefix="grade-", dir="/tmp"))
    os.chmod(root, 0o755)
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    shutil.copytree(bundle / "serverFilesCourse", root / "serverFilesCourse")
    for folder in ("student", "tests", "data"):
        (root / folder).mkdir()
    (root / "data" / "data.json").write_text("{}")
    shutil.copy(EXAMPLE, root / "student" / "word2vec.py")
    shutil.copy(EXAMPLE.with_name("sgd.py"), root / "student" / "sgd.py")
    # As in the container: no pip configuration, no network to need (the install is offline).
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    env.update(GRADE_ROOT=str(root), GRADER_PYTHON=python)
    script = str(root / "serverFilesCourse" / prairielearn.BUNDLE / "entrypoint.sh")
    runs = [subprocess.run(["bash", script], cwd="/", env=env, capture_output=True, text=True, timeout=300)]
    first = json.loads((root / "results" / "results.json").read_text())
    runs.append(subprocess.run(["bash", script], cwd="/", env=env, capture_output=True, text=True, timeout=300))
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    assert "installed the grader" in runs[0].stdout and "installed the grader" not in runs[1].stdout
    raw = (root / "results" / "results.json").read_bytes()
    assert contract_problems(raw) == []
    public = grade(EXAMPLE)
    assert json.loads(raw)["score"] == first["score"] == round(public.score / public.max_score, 6)
    assert f"Total: {public.score:g}/{public.max_score:g}" in runs[1].stdout  # the staff's log: the whole report
    if os.geteuid() == 0:
        assert "runs as grader-sandbox" in runs[1].stdout or "runs as uid 64" in runs[1].stdout
