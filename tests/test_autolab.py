"""The Autolab path, end to end: build dist/autolab/, lay out a job folder, run its Makefile as Tango does.

A Tango job folder holds autograde.tar, the autograde-Makefile and the
student's handin; Autolab runs ``make`` there and reads the last line of the
output as JSON. Whatever the handin is, that line must be a score line, with
the function tags as problem names, and the output must never show a
traceback: students read all of it.
"""

import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import REFERENCE_PATH, REPO, needs_switch, subprocess_environment
from grader import registry

EXAMPLE = REPO / "examples" / "word2vec.py"
TEMPLATE = REPO / "student_template" / "word2vec.py"
REFERENCE_SGD = REFERENCE_PATH.with_name("sgd.py")
MAKE = shutil.which("make")
TAGS = list(registry.tags())
TITLES = [f.title for f in registry.functions()]
ZEROS = {"scores": dict.fromkeys(TAGS, 0), "scoreboard": [0]}
# Tango runs a job as its image's autograde user; here, a uid with no account.
AUTOGRADE_UID = 64900
AUTOLAB_LINES = 10_000


def build(out, config=None):
    command = [sys.executable, "-m", "grader", "build", "--target", "autolab", "--out", out]
    done = subprocess.run(
        command + (["--config", config] if config else []), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return Path(out) / "autolab"


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture
def job():
    """A job folder as Tango lays it out, before the handin arrives; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="autolab-job-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def lay_out(folder, dist, handin=None, name="word2vec.py"):
    for part in ("autograde.tar", "autograde-Makefile"):
        shutil.copy(dist / part, folder / part)
    if handin is not None:
        target = folder / name
        if isinstance(handin, Path):
            shutil.copy(handin, target)
        else:
            target.write_bytes(handin if isinstance(handin, bytes) else handin.encode())
    return folder


def folder_zip(tmp_path, word2vec, sgd=REFERENCE_SGD):
    """handin.zip as students hand it in: word2vec.py (a path or its text) with sgd.py beside it."""
    archive = tmp_path / "handin.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("word2vec.py", word2vec.read_text() if isinstance(word2vec, Path) else word2vec)
        out.writestr("sgd.py", sgd.read_text())
    return archive


def run_job(folder, *make_args, python=None, user=None, **environment):
    """``make`` in the job folder as Autolab runs it: (stdout and stderr as one text, its lines)."""
    if MAKE is None:
        pytest.skip("make is not installed (Tango's images run the autograde-Makefile with it)")
    env = subprocess_environment(HOME=str(folder), **environment)
    extra = {}
    if user is not None:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, user, user)
        extra = dict(user=user, group=user, extra_groups=[])
    done = subprocess.run(
        [MAKE, "-f", "autograde-Makefile", f"PYTHON={python or sys.executable}", *make_args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        **extra,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    lines = done.stdout.rstrip("\n").split("\n")
    assert "Traceback" not in done.stdout, done.stdout[-3000:]
    assert len(lines) < AUTOLAB_LINES
    return done.stdout, lines


def score_line(lines):
    last = json.loads(lines[-1])
    assert list(last) == ["scores", "scoreboard"]
    assert list(last["scores"]) == TAGS  # the problem names on the site, in the rubric's order
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in last["scores"].values())
    assert isinstance(last["scoreboard"], list) and len(last["scoreboard"]) == 1
    assert last["scoreboard"][0] == pytest.approx(sum(last["scores"].values()))
    return last


def semantic_line(lines):
    presentation = json.loads(lines[-2])
    assert presentation["_presentation"] == "semantic"
    assert presentation["stages"] == TITLES
    assert set(presentation) == {"_presentation", "stages", *TITLES}
    for stage in TITLES:
        assert presentation[stage], f"stage {stage} has no tests"
        for name, verdict in presentation[stage].items():
            assert name.split(" ")[0].startswith(registry.functions()[TITLES.index(stage)].prefix + ".")
            assert set(verdict) == {"passed", "hint"} and isinstance(verdict["passed"], bool)
            assert isinstance(verdict["hint"], str) and (verdict["hint"] == "") == verdict["passed"]
    return presentation


@functools.lru_cache(maxsize=None)
def public_points(path):
    """What Gradescope's public tests give ``path``, per function, graded in this process with the reference."""
    from grader import grade

    run = grade(path, hidden=True)
    points = dict.fromkeys(TAGS, 0.0)
    for t in run.tests:
        if t.visibility == "visible":
            points[t.function] += t.score
    return points


def full_public_points():
    from grader import config
    from grader.instructor.autolab.package import problems_and_points

    return {tag: float(most) for tag, most in problems_and_points(config.load(REPO / "grader.yml"))}


def full_public_total():
    return sum(full_public_points().values())


# -- the three subjects ----------------------------------------------------------


def test_the_reference_earns_every_public_point(dist, job, tmp_path):
    output, lines = run_job(lay_out(job, dist, folder_zip(tmp_path, REFERENCE_PATH), name="handin.zip"))
    last = score_line(lines)
    assert last["scores"] == pytest.approx(full_public_points())
    assert last["scores"] == pytest.approx(public_points(REFERENCE_PATH))
    full = full_public_total()
    assert last["scoreboard"] == [full] and last["scores"]["sgd"] > 0
    presentation = semantic_line(lines)
    assert all(v["passed"] for stage in TITLES for v in presentation[stage].values())
    assert "seed 224, public suite" in output and f"Total: {full:g}/{full:g}" in output


def test_the_template_earns_nothing(dist, job, tmp_path):
    handin = folder_zip(tmp_path, TEMPLATE, TEMPLATE.with_name("sgd.py"))
    output, lines = run_job(lay_out(job, dist, handin, name="handin.zip"))
    assert json.loads(lines[-1]) == ZEROS
    presentation = semantic_line(lines)
    assert not any(v["passed"] for stage in TITLES for v in presentation[stage].values())
    assert f"Total: 0/{full_public_total():g}" in output
    assert "sgd.py is not in the submission" not in output  # its sgd was graded, and earned nothing


def test_the_example_earns_what_gradescopes_public_tests_give(dist, job, tmp_path):
    handin = folder_zip(tmp_path, EXAMPLE, EXAMPLE.with_name("sgd.py"))
    output, lines = run_job(lay_out(job, dist, handin, name="handin.zip"))
    last = score_line(lines)
    assert last["scores"] == pytest.approx(public_points(EXAMPLE))
    assert 0 < last["scoreboard"][0] < full_public_total()
    presentation = semantic_line(lines)
    failed = [v["hint"] for stage in TITLES for v in presentation[stage].values() if not v["passed"]]
    assert failed and any("Likely cause:" in hint for hint in failed)
    # The feedback names the student's file, not the grader's scratch copy of it.
    assert "word2vec autograder: word2vec.py" in output
    assert "Reproduce this run: python -m grader local word2vec.py --seed 224" in output
    assert "Protections in force around the submission:" in output


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_archive_of_the_students_folder_is_graded_from_its_word2vec_py(dist, job, tmp_path, kind):
    folder = tmp_path / "a2"
    shutil.copytree(REPO / "student_template" / "utils", folder / "utils")
    shutil.copy(REFERENCE_PATH, folder / "word2vec.py")
    shutil.copy(REFERENCE_SGD, folder / "sgd.py")
    (folder / "run.py").write_text("raise SystemExit('not the submission')\n")
    archive = tmp_path / f"handin.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as out:
            for path in sorted(folder.rglob("*")):
                out.write(path, path.relative_to(tmp_path).as_posix())
    else:
        with tarfile.open(archive, "w:gz") as out:
            out.add(folder, "a2")
    # Autolab renames the upload to the site's handin name, whatever it was.
    output, lines = run_job(lay_out(job, dist, archive, name="word2vec.py"))
    assert score_line(lines)["scoreboard"] == [full_public_total()]
    assert "word2vec autograder: a2/word2vec.py" in output


def test_the_handin_may_have_any_name_set_on_the_site(dist, job):
    lay_out(job, dist, EXAMPLE, name="handin.py")
    # A .py file handed in alone: graded as word2vec.py, with no sgd.py beside it.
    alone = dict(public_points(EXAMPLE), sgd=0)
    output, lines = run_job(job)  # HANDIN left empty: the only other file
    assert score_line(lines)["scores"] == pytest.approx(alone)
    assert "sgd.py is not in the submission, so sgd is not graded" in output
    _output, lines = run_job(job, "HANDIN=handin.py")
    assert score_line(lines)["scores"] == pytest.approx(alone)


@pytest.mark.root
def test_run_as_autolabs_unprivileged_user_it_grades_and_says_there_is_no_user_switch(dist, job, tmp_path):
    handin = folder_zip(tmp_path, REFERENCE_PATH)
    output, lines = run_job(lay_out(job, dist, handin, name="handin.zip"), user=AUTOGRADE_UID)
    assert score_line(lines)["scoreboard"] == [full_public_total()]
    assert (
        f"user switch: missing: not root: Autolab runs this job as uid {AUTOGRADE_UID}, "
        f"so the submission runs as uid {AUTOGRADE_UID} too"
    ) in output


@pytest.mark.root
def test_unprivileged_and_without_landlock_nothing_is_graded(dist, job):
    """The submission would run as the user who owns the unpacked grader: it could rewrite it."""
    output, lines = run_job(lay_out(job, dist, REFERENCE_PATH), user=AUTOGRADE_UID, GRADER_WITHOUT="landlock")
    assert_not_graded(output, lines, "The grader cannot keep this handin apart from itself in this image")
    assert "Landlock turned off" in output and "Run the job as root" in output


def test_a_grader_error_in_a_test_shows_students_one_line_and_no_traceback():
    from grader.instructor.autolab import notes_for_students

    said = (
        "note: grading without the user switch\n"
        "grader error in test 2.1:\nTraceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'k'\n"
    )
    kept = notes_for_students(said)
    assert kept.startswith("note: grading without the user switch\ngrader error in test 2.1 (the grader's failure")
    assert "Traceback" not in kept and "KeyError" not in kept


def test_as_root_the_submission_runs_as_a_sandbox_user(dist, job):
    needs_switch()
    output, _lines = run_job(lay_out(job, dist, EXAMPLE))
    assert "user switch: runs as " in output and "user switch: missing" not in output


# -- what cannot be graded: zeros, and the reason ---------------------------------


def assert_not_graded(output, lines, reason):
    assert json.loads(lines[-1]) == ZEROS
    assert reason in output, output[-3000:]
    assert '"_presentation"' not in output


def test_no_handin(dist, job):
    lay_out(job, dist)
    assert_not_graded(*run_job(job), "no handin: the job folder has no word2vec.py")
    assert_not_graded(*run_job(job, "HANDIN=handin.py"), "no handin named handin.py in the job folder")


def test_a_zip_naming_a_path_outside_itself(dist, job, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../word2vec.py", REFERENCE_PATH.read_text())
    output, lines = run_job(lay_out(job, dist, archive, name="handin.zip"))
    assert_not_graded(output, lines, "names a file outside itself ('../../word2vec.py')")
    assert not (job.parent / "word2vec.py").exists() and not Path("/word2vec.py").exists()


def test_a_tar_naming_a_path_outside_itself_or_holding_links(dist, job, tmp_path):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as out:
        link = tarfile.TarInfo("a2/word2vec.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        out.addfile(link)
        data = REFERENCE_PATH.read_bytes()
        info = tarfile.TarInfo("../word2vec.py")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    output, lines = run_job(lay_out(job, dist, archive, name="handin.tar"))
    assert_not_graded(output, lines, "names a file outside itself ('../word2vec.py')")
    with tarfile.open(archive, "w") as out:
        out.addfile(link)  # a link alone is never created, so nothing is found
    output, lines = run_job(lay_out(job, dist, archive, name="handin.tar"))
    assert_not_graded(output, lines, "no word2vec.py in the submission")


def test_a_tar_bomb_is_refused_before_it_fills_memory(tmp_path):
    """A pax header declaring 70 MiB, in 70 KiB of gzip: tarfile alone would read it whole into memory."""
    import gzip
    import io
    import tarfile

    from grader.instructor.batch import archives
    from grader.submission import SubmissionNotFound

    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 70 * 2**20
    bomb = tmp_path / "handin.tar.gz"
    with gzip.open(bomb, "wb") as packed:
        packed.write(header.tobuf(format=tarfile.USTAR_FORMAT))
        for _ in range(70):
            packed.write(b"0" * 2**20)
    assert archives.is_archive(bomb)
    with pytest.raises(SubmissionNotFound, match="it unpacks to more than 64 MiB"):
        archives.python_members(bomb)
    fine = tmp_path / "a2.tar.xz"
    with tarfile.open(fine, "w:xz") as packed:
        source = REFERENCE_PATH.read_bytes()
        info = tarfile.TarInfo("a2/word2vec.py")
        info.size = len(source)
        packed.addfile(info, io.BytesIO(source))
    assert list(archives.python_members(fine)) == [archives.PurePosixPath("a2/word2vec.py")]


def test_a_notebook_whatever_its_name(dist, job):
    notebook = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert_not_graded(*run_job(lay_out(job, dist, notebook)), "word2vec.py is a Jupyter notebook, not a .py file")


def test_a_broken_grader_yml(dist, job, tmp_path):
    broken = tmp_path / "autograde.tar"
    with tarfile.open(dist / "autograde.tar") as original, tarfile.open(broken, "w") as out:
        for info in original.getmembers():
            data = original.extractfile(info).read() if info.isreg() else None
            if info.name.endswith("/grader.yml") and info.name.count("/") == 1:
                data = b"limits:\n  memory_mb: 1\n"
                info.size = len(data)
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    lay_out(job, dist, REFERENCE_PATH)
    shutil.copy(broken, job / "autograde.tar")
    output, lines = run_job(job)
    assert_not_graded(output, lines, "The autograder's configuration is broken")
    assert "'limits.memory_mb' must be a whole number from 256" in output


def test_an_image_without_a_python_that_can_run_the_grader(dist, job):
    lay_out(job, dist, REFERENCE_PATH)
    assert_not_graded(*run_job(job, python="/nonexistent/python3"), "has no Python that runs as /nonexistent/python3")


def test_an_unpacked_tar_that_is_missing(dist, job):
    lay_out(job, dist, REFERENCE_PATH)
    (job / "autograde.tar").write_bytes(b"not a tar")
    assert_not_graded(*run_job(job), "The autograder could not be unpacked or started")


def test_a_handin_that_floods_its_output_stays_within_autolabs_lines(dist, job, tmp_path):
    flood = (
        REFERENCE_PATH.read_text() + "\nprint('\\n' * 100000)\nimport sys\nprint('x\\n' * 100000, file=sys.stderr)\n"
    )
    _output, lines = run_job(lay_out(job, dist, folder_zip(tmp_path, flood), name="handin.zip"))
    assert score_line(lines)["scoreboard"] == [full_public_total()]
    assert len(lines) < 2_100


# -- hidden: include --------------------------------------------------------------


def test_hidden_include_packs_the_reference_root_only_and_grades_both_suites(tmp_path, job):
    config = tmp_path / "grader.yml"
    config.write_text((REPO / "grader.yml").read_text().replace('hidden: "exclude"', "hidden: include"))
    dist = build(tmp_path / "dist", config)
    with tarfile.open(dist / "autograde.tar") as archive:
        members = {m.name: m for m in archive.getmembers()}
    reference = members["word2vec-autograder/reference/word2vec.py"]
    assert reference.mode == 0o600 and members["word2vec-autograder/reference"].mode == 0o700
    assert reference.uid == 0 and "word2vec-autograder/grader/golden.npz" not in members
    readme = (dist / "README.txt").read_text()
    for f in registry.functions():
        assert f"    {f.tag:<16}{f.points:g}\n" in readme  # the hidden suite's points too
    output, lines = run_job(lay_out(job, dist, folder_zip(tmp_path, REFERENCE_PATH), name="handin.zip"))
    assert score_line(lines)["scores"] == {f.tag: f.points for f in registry.functions()}
    full = sum(f.points for f in registry.functions())
    assert "public and hidden suites" in output and f"Total: {full:g}/{full:g}" in output


def test_hidden_exclude_packs_answers_and_no_reference(dist):
    with tarfile.open(dist / "autograde.tar") as archive:
        names = archive.getnames()
    assert "word2vec-autograder/grader/golden.npz" in names
    assert not any("/reference" in n for n in names)
    assert {"word2vec-autograder/autograde.sh", "word2vec-autograder/grader.yml"} <= set(names)
    assert not any("__pycache__" in n for n in names)
    readme = (dist / "README.txt").read_text()
    assert '{"scoreboard": [{"hdr": "Total"}]}' in readme
    for tag, most in full_public_points().items():
        assert f"    {tag:<16}{most:g}\n" in readme


def test_the_same_checkout_builds_the_same_tar(dist, tmp_path):
    assert (build(tmp_path / "again") / "autograde.tar").read_bytes() == (dist / "autograde.tar").read_bytes()


# -- in this process ----------------------------------------------------------------


def test_a_grader_bug_still_ends_in_a_score_line_without_a_traceback(monkeypatch, tmp_path):
    from grader.instructor import autolab

    def broken(*args):
        raise KeyError("a grader bug")

    monkeypatch.setattr(autolab, "_grade", broken)
    out = io.StringIO()
    assert autolab.run(out=out) == 0
    lines = out.getvalue().rstrip("\n").split("\n")
    assert json.loads(lines[-1]) == ZEROS
    assert "internal error" in out.getvalue() and "KeyError at test_autolab.py line" in out.getvalue()
    assert "Traceback" not in out.getvalue()


def test_long_feedback_is_cut_and_says_so():
    from grader.instructor.autolab.output import FEEDBACK_LINES, bounded

    cut = bounded("\n".join(f"line {n}" for n in range(50_000)))
    assert cut.count("\n") == FEEDBACK_LINES
    assert cut.endswith(f"... ({50_000 - FEEDBACK_LINES} more lines of feedback not shown)")
    assert bounded("short\n") == "short"


def test_the_build_target_defaults_to_gradescope():
    from grader.instructor import build

    assert next(iter(build.TARGETS)) == "gradescope" and {"gradescope", "autolab", "prairielearn"} <= set(build.TARGETS)
