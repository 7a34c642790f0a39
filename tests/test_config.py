"""grader.yml: one file of settings, checked strictly, honoured locally and in the zip."""

import json
import subprocess
import sys
import zipfile

import pytest

from grader import config, grade

from conftest import REPO, assert_switched

EXAMPLE = REPO / "examples" / "word2vec.py"


def write(tmp_path, text):
    path = tmp_path / "grader.yml"
    path.write_text(text)
    return path


def test_the_repository_config_is_valid_and_matches_the_defaults():
    settings = config.load(REPO / "grader.yml")
    defaults = config.Settings()
    assert (settings.seed, settings.limits, settings.tolerances) == (defaults.seed, defaults.limits,
                                                                      defaults.tolerances)
    assert settings.worker.numpy == "numpy<2"


@pytest.mark.parametrize("text, named", [
    ("colour: red\n", "'colour' is not a setting"),
    ("limits:\n  call_second: 5\n", "'limits.call_second' is not a setting"),
    ("limits:\n  call_seconds: -1\n", "'limits.call_seconds' must be a number > 0"),
    ("seed: many\n", "'seed' must be a whole number"),
    ("visibility:\n  '1.1': secret\n", "'visibility.1.1' must be one of"),
    ("points: [1, 2]\n", "'points' must be a mapping"),
    ("limits: [\n", "is not valid YAML"),
    ("limits:\n  memory_mb: 20\n", "'limits.memory_mb' must be at least"),
])
def test_bad_settings_name_the_key_and_the_file(tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert named in str(error.value) and str(path) in str(error.value)


def test_the_memory_floor_grades_the_reference_in_full_and_less_fails_at_import():
    from dataclasses import replace

    reference = REPO / "reference" / "word2vec.py"
    settings = config.load(REPO / "grader.yml", hidden=True)
    at_floor = replace(settings, limits=replace(settings.limits, memory_mb=config.MEMORY_MB_MINIMUM))
    run = grade(reference, settings=at_floor)
    assert run.all_passed, [t.output for t in run.tests if not t.passed][:1]
    starved = grade(reference, settings=replace(settings, limits=replace(settings.limits, memory_mb=20)))
    said = " ".join([starved.summary or "", *(t.output for t in starved.tests)])
    assert starved.score == 0 and "MemoryError while being imported" in said


def test_points_for_unknown_tests_are_refused(tmp_path):
    settings = config.load(write(tmp_path, "points:\n  '9.9': 3\n"))
    with pytest.raises(config.ConfigError, match="'points.9.9' names no test"):
        grade(EXAMPLE, settings=settings)


def test_points_and_visibility_change_the_next_run(tmp_path):
    path = write(tmp_path, "seed: 11\npoints:\n  neg_sampling: 70\n  '1.1': 8\n"
                           "visibility:\n  skipgram: hidden\n  '2.8': after_published\n")
    run = grade(EXAMPLE, settings=config.load(path, hidden=True))
    assert run.seed == 11
    assert run.by_function()["neg_sampling"][1] == 70
    assert {t.number: t.max_score for t in run.tests}["1.1"] == 8
    visibility = {t.number: t.visibility for t in run.tests}
    assert visibility["4.1"] == visibility["4.7"] == "hidden" and visibility["2.8"] == "after_published"
    assert visibility["1.5"] == "after_due_date" and visibility["1.1"] == "visible"


def test_local_command_reads_the_config_and_reports_bad_ones(tmp_path):
    good = write(tmp_path, "seed: 5\n")
    done = subprocess.run([sys.executable, "-m", "grader", "local", EXAMPLE, "--config", good,
                           "--format", "json"], capture_output=True, text=True, cwd=REPO)
    assert "Seed 5." in json.loads(done.stdout)["output"]
    assert "seed 5" in subprocess.run([sys.executable, "-m", "grader", "local", EXAMPLE, "--config", good],
                                      capture_output=True, text=True, cwd=REPO).stdout
    bad = write(tmp_path, "limits:\n  memory: 3\n")
    done = subprocess.run([sys.executable, "-m", "grader", "local", EXAMPLE, "--config", bad],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2 and "'limits.memory' is not a setting" in done.stderr


def test_the_zip_carries_the_chosen_config(tmp_path):
    custom = write(tmp_path, "seed: 99\nworker:\n  numpy: 'numpy>=1.24'\n")
    done = subprocess.run([sys.executable, "-m", "grader", "build", "--out", tmp_path / "dist",
                           "--config", custom], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "dist" / "autograder.zip") as archive:
        assert archive.read("grader.yml").decode() == custom.read_text()
    requirements = subprocess.run([sys.executable, "-m", "grader", "requirements", "--config", custom],
                                  capture_output=True, text=True, cwd=REPO)
    assert requirements.stdout.split() == ["numpy>=1.24"]


@pytest.mark.slow
def test_self_check_passes():
    done = subprocess.run([sys.executable, "-m", "grader", "check", "--seeds", "2"],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "MISS" not in done.stdout
    assert_switched(done.stderr)
