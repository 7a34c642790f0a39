"""grader.yml: one file of settings, checked strictly, honoured locally and in the zip."""

import dataclasses
import json
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO, assert_switched
from grader import config, grade, settings_schema

EXAMPLE = REPO / "examples" / "word2vec.py"


def write(tmp_path, text):
    path = tmp_path / "grader.yml"
    path.write_text(text)
    return path


def test_the_repository_config_is_valid_and_matches_the_defaults():
    settings = config.load(REPO / "grader.yml")
    defaults = config.Settings()
    assert (settings.seed, settings.limits, settings.tolerances) == (
        defaults.seed,
        defaults.limits,
        defaults.tolerances,
    )
    assert settings.worker.numpy == "numpy<2"


@pytest.mark.parametrize(
    "text, named",
    [
        ("colour: red\n", "'colour' is not a setting"),
        ("limits:\n  call_second: 5\n", "'limits.call_second' is not a setting"),
        ("limits:\n  call_seconds: -1\n", "'limits.call_seconds' must be a number from 1 to 300 seconds, not -1"),
        ("seed: many\n", "'seed' must be a whole number"),
        ("visibility:\n  '1.1': secret\n", "'visibility.1.1' must be one of"),
        ("points: [1, 2]\n", "'points' must be a mapping"),
        ("limits: [\n", "is not valid YAML"),
        ("limits:\n  memory_mb: 20\n", "'limits.memory_mb' must be a whole number from 256 to 16384 MiB, not 20"),
    ],
)
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


def test_points_for_unknown_tests_are_refused_when_the_file_is_read(tmp_path):
    with pytest.raises(config.ConfigError, match="'points.9.9' names no test"):
        config.load(write(tmp_path, "points:\n  '9.9': 3\n"))


def test_points_and_visibility_change_the_next_run(tmp_path):
    path = write(
        tmp_path,
        "seed: 11\npoints:\n  neg_sampling: 70\n  '1.1': 8\n"
        "visibility:\n  skipgram: hidden\n  '2.8': after_published\n",
    )
    run = grade(EXAMPLE, settings=config.load(path, hidden=True))
    assert run.seed == 11
    assert run.by_function()["neg_sampling"][1] == 70
    assert {t.number: t.max_score for t in run.tests}["1.1"] == 8
    visibility = {t.number: t.visibility for t in run.tests}
    assert visibility["4.1"] == visibility["4.7"] == "hidden" and visibility["2.8"] == "after_published"
    assert visibility["1.5"] == "after_due_date" and visibility["1.1"] == "visible"


def test_local_command_reads_the_config_and_reports_bad_ones(tmp_path):
    good = write(tmp_path, "seed: 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", EXAMPLE, "--config", good, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert "Seed 5." in json.loads(done.stdout)["output"]
    assert (
        "seed 5"
        in subprocess.run(
            [sys.executable, "-m", "grader", "local", EXAMPLE, "--config", good],
            capture_output=True,
            text=True,
            cwd=REPO,
        ).stdout
    )
    bad = write(tmp_path, "limits:\n  memory: 3\n")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", EXAMPLE, "--config", bad], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 2 and "'limits.memory' is not a setting" in done.stderr


def test_the_zip_carries_the_chosen_config(tmp_path):
    custom = write(tmp_path, "seed: 99\nworker:\n  numpy: 'numpy>=1.24'\n")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--out", tmp_path / "dist", "--config", custom],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "dist" / "autograder.zip") as archive:
        assert archive.read("grader.yml").decode() == custom.read_text()
    requirements = subprocess.run(
        [sys.executable, "-m", "grader", "requirements", "--config", custom], capture_output=True, text=True, cwd=REPO
    )
    assert requirements.stdout.split() == ["numpy>=1.24"]


@pytest.mark.slow
def test_self_check_passes():
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", "--seeds", "2"], capture_output=True, text=True, cwd=REPO, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "MISS" not in done.stdout
    assert_switched(done.stderr)


# -- every key checked to the leaf, before anything is graded ------------------------

# (grader.yml's text, what the one-line refusal must say)
MALFORMED = [
    ("seed: many\n", "'seed' must be a whole number"),
    ("cases:\n  hidden_shapes: [[3]]\n", "'cases.hidden_shapes[0]' must be a list [V, d]"),
    ("cases:\n  hidden_shapes: [[100000000, 100000]]\n", "'cases.hidden_shapes[0][0]' must be a whole number"),
    ("cases:\n  public_shapes: [[200000, 1000]]\n", "'cases.public_shapes[0]' has V * d = 200000000; at most 250000"),
    ("cases:\n  hidden_shapes: [[200000, 1], [100000, 1]]\n", "'cases.hidden_shapes' has V * d = 300000 in all"),
    ("cases:\n  other_K: [1, 3, 25]\n", "'cases.other_K[2]' must be a whole number from 1 to 24"),
    ("cases:\n  fd_shape: [1, 4]\n", "'cases.fd_shape[0]' must be a whole number from 2 to 50"),
    ("cases:\n  skipgram_hidden_vocab: [20, 12]\n", "'cases.skipgram_hidden_vocab' must not start above its end"),
    ("cases:\n  hidden_neg_sampling: 1.5\n", "'cases.hidden_neg_sampling' must be a whole number"),
    ("points:\n  sigmoid: -5\n", "'points.sigmoid' must be a number from 0 to 1000, not -5"),
    ("points:\n  '1.1': .nan\n", "'points.1.1' must be a number from 0 to 1000, not nan"),
    ("efficiency_points: .inf\n", "'efficiency_points' must be a number from 0 to 1000, not inf"),
    ("points:\n  '9.9': 3\n", "'points.9.9' names no test or function"),
    ("points:\n  3.10: 5\n", "'points.3.1' must be written as text, in quotes"),
    ("visibility:\n  '1.1': secret\n", "'visibility.1.1' must be one of visible, after_due_date"),
    ("visibility:\n  '9.1': hidden\n", "'visibility.9.1' names no test, function or suite"),
    ("visibility:\n  '1.3': visible\n  '1.1': hidden\n", "test 1.3 (visible) is credited only once test 1.1"),
    ("limits:\n  memory_mb: 100000000\n", "'limits.memory_mb' must be a whole number from 256 to 16384"),
    ("limits:\n  total_seconds: 0\n", "'limits.total_seconds' must be a number from 10 to 600"),
    ("limits: 5\n", "'limits' must be a mapping of settings, not 5"),
    ("tolerances:\n  rtol: big\n", "'tolerances.rtol' must be a number"),
    ("worker:\n  packages: ['--index-url http://example.org']\n", "'worker.packages[0]' must be a package name"),
    ("- seed\n- 3\n", "expected a mapping of settings at the top level, not list"),
    ("limits: [\n", "is not valid YAML: "),
    ("seed: 1\nlimits:\n  cpu_seconds: 20\nseed: 2\n", "is not valid YAML: found the key 'seed' twice (line 4"),
    ("seed: 1" + "0" * 5000 + "\n", "is not valid YAML"),
]


def _refused(done, path, said):
    assert done.returncode == 2, (done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr and done.stdout == ""
    said_lines = [line for line in done.stderr.splitlines() if not line.startswith("note: ")]
    assert len(said_lines) == 1, done.stderr  # one message, on one line
    assert str(path) in done.stderr and said in done.stderr, done.stderr


@pytest.mark.parametrize(
    "text, said", MALFORMED, ids=[said.split("'")[1] if "'" in said else said[:20] for _, said in MALFORMED]
)
def test_a_malformed_config_is_refused_by_build_and_local_before_anything_runs(tmp_path, text, said):
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as error:
        config.load(path)
    assert said in str(error.value)
    reference = REPO / "reference" / "word2vec.py"
    for command in (
        ["build", "--out", tmp_path / "dist", "--config", path],
        ["local", reference, "--all", "--config", path],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "grader", *command], capture_output=True, text=True, cwd=REPO, timeout=120
        )
        _refused(done, path, said)
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize(
    "verb",
    [
        ["local", "examples/word2vec.py"],
        ["check", "--seeds", "1"],
        ["requirements"],
        ["batch", "examples", "--out", "{out}"],
    ],
)
def test_every_command_refuses_a_malformed_config(tmp_path, verb):
    path = write(tmp_path, "cases:\n  hidden_shapes: [[3]]\n")
    command = [str(part).format(out=tmp_path / "out") for part in verb]
    done = subprocess.run(
        [sys.executable, "-m", "grader", *command, "--config", path],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    _refused(done, path, "'cases.hidden_shapes[0]' must be a list [V, d] of 2 whole numbers, not [3]")
    assert not (tmp_path / "out").exists()


def test_batch_refuses_a_malformed_config_before_grading(tmp_path):
    from grader.instructor.batch import run_batch

    path = write(tmp_path, "visibility:\n  '9.1': hidden\n")
    with pytest.raises(config.ConfigError, match="'visibility.9.1' names no test"):
        run_batch([REPO / "examples"], out=tmp_path / "out", config_path=path)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text, said",
    [
        ("cases:\n  other_K: [1, 3, 25]\n", "'cases.other_K[2]' must be a whole number from 1 to 24"),
        ("visibility:\n  '9.1': hidden\n", "'visibility.9.1' names no test"),
    ],
)
def test_gradescope_writes_once_that_the_configuration_is_broken(tmp_path, monkeypatch, capsys, text, said):
    from grader.instructor import gradescope

    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "word2vec.py").write_text(EXAMPLE.read_text())
    path = write(tmp_path, text)
    written = []
    monkeypatch.setattr(gradescope, "write_results", lambda where, results: written.append((where, results)))
    assert gradescope.run(tmp_path, config_path=path) == 0
    assert len(written) == 1
    where, results = written[0]
    assert where == tmp_path / "results" / "results.json"
    assert results["score"] == 0 and results["tests"] == []
    assert "configuration (grader.yml) is broken" in results["output"] and "internal error" not in results["output"]
    out = capsys.readouterr().out
    assert said in out and str(path) in out and "Traceback" not in out


def test_a_seed_given_on_the_command_line_is_checked_too():
    with pytest.raises(config.ConfigError, match="'--seed' must be a whole number from 0 to 4294967295, not -1"):
        config.load(REPO / "grader.yml", seed=-1)
    done = subprocess.run(
        [sys.executable, "-m", "grader", "local", EXAMPLE, "--seed", "-1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2 and "'--seed' must be" in done.stderr and done.stdout == ""


# -- one declaration per key -------------------------------------------------------


def _declared(kind, prefix=""):
    for name, f in settings_schema.settings_of(kind):
        if "section" in f.metadata:
            yield from _declared(f.metadata["section"], f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", f


def test_every_default_is_within_its_own_bounds():
    import yaml

    for key, f in _declared(config.Settings):
        rule = f.metadata["rule"]
        if isinstance(rule, settings_schema.Mapping):
            continue
        written = yaml.safe_load(settings_schema.yaml_value(f.default))  # as grader.yml writes it
        assert rule.check(written, key) == f.default, key


def test_grader_yml_is_the_declared_defaults_with_their_descriptions():
    assert (REPO / "grader.yml").read_text(encoding="utf-8") == config.commented_defaults(), (
        "grader.yml differs from the declarations in grader/config.py; rewrite it with python -m grader.config"
    )
    loaded = config.load(REPO / "grader.yml")
    assert dataclasses.replace(loaded, source="defaults") == config.Settings()


def test_the_readme_table_is_the_declarations():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert config.readme_with_table(readme) == readme, (
        "README.md's settings table differs from grader/config.py; rewrite it with python -m grader.config"
    )
    for key, _ in _declared(config.Settings):
        assert f"| `{key}` |" in readme


# -- a config that loads can be graded with ----------------------------------------

# Every case setting at its largest, every limit and tolerance at its tightest.
LARGEST_CASES = f"""\
cases:
  public_shapes: [[{config.CASE_NUMBERS // config.DIMENSIONS}, {config.DIMENSIONS}]]
  hidden_shapes: [[{config.CASE_NUMBERS}, 1]]
  stable_score: 2000
  stable_spread: 100
  neg_score_scale: 100
  hidden_neg_sampling: 50
  other_K: [19, 7, 24]
  fd_shape: [50, 50]
  skipgram_vocab: [30, 30]
  skipgram_hidden_vocab: [30, 30]
  skipgram_dim: 100
  efficiency_shape: [{config.CASE_NUMBERS}, 1]
"""
SMALLEST_CASES = """\
cases:
  public_shapes: [[1, 1]]
  hidden_shapes: [[1, 1]]
  stable_score: 0.001
  stable_spread: 0.001
  neg_score_scale: 0.001
  hidden_neg_sampling: 1
  other_K: [1, 1, 1]
  fd_shape: [2, 1]
  skipgram_vocab: [3, 2]
  skipgram_hidden_vocab: [3, 3]
  skipgram_dim: 1
  efficiency_shape: [11, 1]
"""
TIGHTEST = f"""\
limits: {{memory_mb: {config.MEMORY_MB_MINIMUM}, import_seconds: 5, call_seconds: 1, total_seconds: 10,
         cpu_seconds: 10, processes: 4, open_files: 32, file_mb: 1, output_bytes: 256, reply_mb: 32}}
tolerances: {{rtol: 1.0e-9, atol: 1.0e-10, fd_tol: 1.0e-7, fd_step: 1.0e-4, fd_joint_directions: 10,
             efficiency_repeats: 20}}
"""


@pytest.mark.parametrize("cases", [LARGEST_CASES, SMALLEST_CASES], ids=["largest", "smallest"])
def test_the_reference_gets_full_marks_at_the_bounds(tmp_path, cases):
    settings = config.load(write(tmp_path, TIGHTEST + cases), hidden=True)
    run = grade(REPO / "reference" / "word2vec.py", settings=settings)
    assert not run.internal_error and run.all_passed, [(t.number, t.output[:300]) for t in run.tests if not t.passed][
        :3
    ]
