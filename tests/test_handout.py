"""The student handout: no reference inside, installs on its own, public suite catches every mutant."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conftest import REFERENCE_PATH, REFERENCE_SGD_PATH, REPO, assert_switched, build_student_zip
from grader import config, grade
from grader.answers.golden import GoldenOracle

HIDDEN_SETS = {"sigmoid.hidden", "naive.hidden", "neg.hidden", "skipgram.hidden"}


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handout")
    with zipfile.ZipFile(build_student_zip(tmp_path_factory.mktemp("dist"))) as archive:
        archive.extractall(folder)
    return folder


def solution_lines():
    """Lines of the reference that the template does not have: the solution itself."""
    lines = []
    for name, shortest in (("word2vec.py", 24), ("sgd.py", 12)):  # sgd's part is two short lines
        template = set((REPO / "student_template" / name).read_text().splitlines())
        lines += [
            line.strip()
            for line in (REPO / "reference" / name).read_text().splitlines()
            if line not in template and len(line.strip()) > shortest and not line.strip().startswith(("#", '"'))
        ]
    return lines


def test_handout_holds_no_reference_solution(handout):
    lines = solution_lines()
    assert len(lines) > 15  # the check has something to look for
    for path in handout.rglob("*"):
        if path.is_file() and path.suffix != ".npz":
            text = path.read_text(errors="replace")
            leaked = [line for line in lines if line in text]
            assert not leaked, f"{path.relative_to(handout)} contains reference lines: {leaked[:3]}"
            assert "MUTANTS" not in text and "ALTERNATIVES = " not in text, path
    names = {p.name for p in handout.rglob("*")}
    assert not {"mutants.py", "alternatives.py"} & names
    assert not any(part == "reference" for p in handout.rglob("*") for part in p.relative_to(handout).parts)


def test_handout_answers_are_public_cases_only(handout):
    oracle = GoldenOracle(handout / "grader" / "golden.npz")
    assert oracle.meta["sets"] and not set(oracle.meta["sets"]) & HIDDEN_SETS


def shown_commands(markdown):
    """Every command of the markdown's bash blocks, as argument lists, comments dropped."""
    blocks = re.findall(r"```bash\n(.*?)```", markdown, re.S)
    return [shlex.split(line, comments=True) for block in blocks for line in block.splitlines() if line.strip()]


def students_section(readme):
    return readme.split("\n## Students\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def installed(handout):
    """A fresh virtual environment where the handout README's pip commands ran, in the handout.

    It lies where every user can read it (tmp_path is root's own), so that as
    root the handout grades under the user switch, as the grader's does.
    """
    folder = Path(tempfile.mkdtemp(prefix="grader-test-handout-venv-", dir="/tmp"))
    folder.chmod(0o755)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    python = venv / "bin" / "python"
    installs = [c for c in shown_commands((handout / "README.md").read_text()) if c[0] == "pip"]
    assert installs == [["pip", "install", "-r", "requirements.txt"]]
    for command in installs:
        done = run(python, "-m", *command, cwd=handout, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
    yield python
    shutil.rmtree(folder, ignore_errors=True)


def finish(folder):
    """``folder``/word2vec.py and sgd.py as a student finishes them: the reference's; the word2vec.py."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sgd.py").write_text(REFERENCE_SGD_PATH.read_text())
    (folder / "word2vec.py").write_text(REFERENCE_PATH.read_text())
    return folder / "word2vec.py"


def run(python, *args, cwd, timeout=300):
    """python with args in cwd, as a student would: no PYTHONPATH leading to this checkout's grader."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_CONFIG")}
    return subprocess.run([python, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_handout_installs_and_runs_in_a_fresh_virtual_environment(installed, handout):
    def local(*args):
        return run(installed, "-m", "grader", "local", *args, cwd=handout)

    template = local()
    assert template.returncode == 1 and "Total: 0/88" in template.stdout
    done = local(finish(handout / "finished"))
    assert done.returncode == 0 and "Total: 88/88" in done.stdout, done.stdout[-2000:] + done.stderr
    for graded in (template, done):
        assert_switched(graded.stderr)
    hidden = local("--all")
    assert hidden.returncode == 2 and "does not include" in hidden.stderr and "Traceback" not in hidden.stderr


@pytest.mark.slow
def test_handout_installs_the_gradescope_workers_numpy_and_states_the_python_floor(installed, handout):
    """The public grader's floor, not the instructor side's; numpy per Python, from grader.yml's."""
    import json

    from grader.numpy_requirement import allows, per_python
    from grader.python_version import MINIMUM, minimum_text

    numpy = config.load(REPO / "grader.yml").worker.numpy
    requirements = (handout / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if line.startswith("numpy")] == per_python(numpy, MINIMUM)
    assert any(line.split(";")[0] == numpy for line in requirements)
    pyproject = (handout / "pyproject.toml").read_text()
    assert f'requires-python = ">={minimum_text()}"' in pyproject
    assert all(json.dumps(line) in pyproject for line in per_python(numpy, MINIMUM))
    version = run(installed, "-c", "import numpy; print(numpy.__version__)", cwd=handout).stdout.strip()
    assert allows(numpy, version), version
    assert "numpy" not in run(installed, "-m", "grader", "local", cwd=handout).stderr


@pytest.mark.slow
def test_every_student_command_in_the_readmes_works_in_the_installed_handout(installed, handout, tmp_path):
    commands = shown_commands((handout / "README.md").read_text())
    commands += shown_commands(students_section((REPO / "README.md").read_text()))
    assert len(commands) >= 8 and any("path/to/word2vec.py" in c for c in commands)
    course = tmp_path / "course"
    shutil.copytree(handout, course)
    finish(course)  # a finished submission
    finish(course / "path" / "to")
    for command in commands:
        assert command[0] in ("python", "pip"), f"a README shows students {command}; only python and pip run here"
        if command[0] == "pip":
            continue  # the installed fixture ran them
        done = run(installed, *command[1:], cwd=course)
        said = f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        assert done.returncode == 0 and "Traceback" not in done.stderr, said
        assert "python -m grader:" not in done.stderr, said
    assert (course / "report.html").read_text().rstrip().endswith("</html>")
    assert ET.parse(course / "report.xml").getroot().tag == "testsuites"


def test_installed_handout_grades_from_any_folder(installed, handout, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    finish(elsewhere / "path" / "to")
    done = run(installed, "-m", "grader", "local", "path/to/word2vec.py", cwd=elsewhere)
    assert done.returncode == 0 and "Total: 88/88" in done.stdout, done.stdout[-2000:] + done.stderr
    template = run(installed, "-m", "grader", "local", handout / "word2vec.py", cwd=elsewhere)
    assert template.returncode == 1 and "Total: 0/88" in template.stdout, template.stderr
    where = run(installed, "-c", "import grader; print(grader.__file__)", cwd=elsewhere).stdout
    assert "site-packages" in where and not (elsewhere / "grader").exists()


@pytest.mark.parametrize("verb", [["check"], ["build"], ["batch", "."], ["gradescope", "--root", "."], ["autolab"]])
def test_handout_refuses_instructor_commands_in_one_line(installed, handout, verb):
    done = run(installed, "-m", "grader", *verb, cwd=handout)
    assert done.returncode == 2 and done.stdout == "", done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("note:")]
    assert len(lines) == 1 and "is for instructors" in lines[0] and "python -m grader local" in lines[0], lines


def test_handout_help_lists_only_what_works_there(installed, handout):
    done = run(installed, "-m", "grader", "--help", cwd=handout)
    assert done.returncode == 0 and "{local,requirements}" in done.stdout, done.stdout
    assert not re.search(r"\b(check|build|batch|gradescope)\b", done.stdout), done.stdout
    requirements = run(installed, "-m", "grader", "requirements", cwd=handout)
    numpy = config.load(REPO / "grader.yml").worker.numpy
    assert requirements.returncode == 0 and requirements.stdout.split() == [numpy]


def test_an_unsupported_python_is_refused_by_pip_with_the_floor(handout, tmp_path):
    from grader.python_version import minimum_text
    from test_cli import older_pythons

    pythons = [
        p
        for p in older_pythons()
        if run(p, "-m", "pip", "--version", cwd=tmp_path).returncode == 0
        and "(python 3." in run(p, "-m", "pip", "--version", cwd=tmp_path).stdout
    ]
    if not pythons:
        pytest.skip("no Python 3 older than the grader's minimum, with pip, on this machine")
    wheel = built_wheel(handout, tmp_path)
    done = run(pythons[-1], "-m", "pip", "install", "--no-deps", "--target", tmp_path / "target", wheel, cwd=tmp_path)
    assert done.returncode != 0 and refused_for_python(done.stderr, minimum_text()), done.stderr[-2000:]


def built_wheel(project, tmp_path):
    """A wheel of ``project``, built by this Python from a copy.

    An old Python's pip cannot build the project itself (setuptools>=61
    needs 3.7): installing its wheel, pip reads the floor from the metadata.
    """
    copy = tmp_path / "project"
    ignored = shutil.ignore_patterns(".git", ".*_cache", "build", "dist", "*.egg-info", "finished", "__pycache__")
    shutil.copytree(project, copy, ignore=ignored)
    done = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "wheels", copy, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    return wheel


def refused_for_python(stderr, floor):
    """pip's refusal, in old pip's words or new: requires Python '>=3.7' / not in '>=3.7'."""
    return bool(re.search(r"requires (a different )?Python", stderr)) and f"'>={floor}'" in stderr


# The hint each mutant's public report must give, where one applies.
HINTS = {
    "sgd_step_along_gradient": "it must go against it",
    "sgd_no_step_size": "scale it by the step size",
    "sgd_steps_by_loss": "x moves by the loss",
    "sgd_loss_unset": "loss is still None",
    "sgd_f_called_twice": "f is called twice per iteration",
    "sgd_step_not_assigned": "assign the step back to x",
    "sigmoid_sign_flipped": "which is sigmoid(-x)",
    "sigmoid_exp_over_one_plus_exp": "exp(x) overflows",
    "sigmoid_modifies_input": "changed its input x in place",
    "sigmoid_precedence": "the formula itself is wrong",
    "sigmoid_math_e_power": "raises OverflowError",
    "sigmoid_math_exp": "single Python numbers",
    "sigmoid_iterates_over_x": "a single number here",
    "sigmoid_unfilled": "still looks like the template",
    "sigmoid_bare_exp": "write np.exp",
    "sigmoid_np_float_alias": "removed in numpy 1.24",
    "ns_loss_sign_flipped": "opposite sign",
    "ns_y_not_subtracted": "y must be subtracted",
    "ns_grad_outside_transposed": "transposed",
    "ns_no_max_shift": "Shift the scores by their maximum",
    "ns_modifies_outside_vectors": "changed its input outsideVectors in place",
    "ns_loss_shape_1": "got (1,), expected ()",
    "ns_grad_center_column": "expected (",
    "neg_repeated_negatives_fancy_index": "np.add.at",
    "neg_negatives_deduplicated": "np.add.at",
    "neg_K_ignored": "K",
    "neg_loss_divided_by_K_plus_1": "K + 1",
    "ns_loss_over_vocabulary": "summed over the whole vocabulary",
    "ns_loss_without_log": "the log is missing",
    "ns_y_hat_sign_flipped": "y_hat has the wrong sign",
    "ns_unnormalised_weights": "not normalised",
    "neg_repeats_found_by_float_equality": "counting each distinct negative sample once",
    "neg_loss_negative_term_sign": "swapping sigma(u_k . v_c) and sigma(-u_k . v_c)",
    "neg_sigmoid_of_minus_score_in_gradient": "swapping sigma(u_k . v_c) and sigma(-u_k . v_c)",
    "neg_loss_negative_terms_added": "the negative samples' terms have the wrong sign",
    "neg_grad_center_summed_to_scalar": "to one number",
    "neg_negative_rows_unwritten": "rows of the K negative samples are never written",
    "neg_grad_outside_word_sign": "its sign is flipped",
    "neg_outside_score_sign": "scoring the outside word with -u_o . v_c",
    "neg_outside_word_among_negatives": "counting the outside word o also as a negative sample",
    "sg_grad_outside_overwritten": "added (+=), not assigned",
    "sg_loss_overwritten": "added (+=), not assigned",
    "sg_grad_center_row_zero": "non-zero only in the center word's row",
    "sg_grad_center_every_row": "every row of gradCenterVecs holds the center word's gradient",
    "sg_outside_words_deduplicated": "Every entry of outsideWords counts",
    "sg_center_index_as_outside": "every call got the center word",
    "sg_outside_vector_as_center": "expected row",
    "sg_ignores_loss_function_argument": "call the `word2vecLossAndGradient` you are given",
    "sg_calls_own_neg_sampling": "call the `word2vecLossAndGradient` you are given",
    "sg_asserts_given_loss": "the assertion on the word2vecLossAndGradient you are given failed",
    "sg_center_vector_as_index": "index rows with integers",
    "sg_constant_instead_of_loss": "a constant is added instead of each word's loss",
    "sg_loss_accumulator_shadowed": "2 × the last outside word's contribution",
    "sg_hard_coded_outside_index": "the index is fixed",
}


@pytest.fixture(scope="module")
def public_oracle(tmp_path_factory):
    from grader.answers import golden

    path = tmp_path_factory.mktemp("golden") / "golden.npz"
    golden.build(path, config.load(REPO / "grader.yml"), REFERENCE_PATH)
    return GoldenOracle(path)


def test_public_suite_alone_catches_every_mutant_with_its_hint(public_oracle, reference_files, tmp_path):
    from reference.mutants import MUTANTS, mutate_files

    assert set(HINTS) <= {m.name for m in MUTANTS}
    settings = replace(config.load(REPO / "grader.yml"), hidden=False)
    missed = []
    for mutant in MUTANTS:
        path = tmp_path / mutant.name / "word2vec.py"
        path.parent.mkdir()
        for name, text in mutate_files(reference_files, mutant).items():
            (path.parent / name).write_text(text)
        run = grade(path, settings=settings, oracle=public_oracle)
        failed = [t for t in run.tests if not t.passed and t.max_score > 0]  # a test worth nothing loses nothing
        if {t.function for t in failed} != {mutant.function}:
            missed.append(f"{mutant.name}: lost under {sorted({t.function for t in failed})}")
        elif mutant.name in HINTS and not any(HINTS[mutant.name] in t.output for t in failed):
            missed.append(
                f"{mutant.name}: no hint containing {HINTS[mutant.name]!r}; first failure:\n" + failed[0].output
            )
    assert not missed, "\n".join(missed)


def test_shipped_answers_refuse_other_seeds(public_oracle):
    from grader.answers.oracle import ReferenceMissing
    from grader.session import Session

    other = replace(config.load(REPO / "grader.yml"), seed=5)
    with pytest.raises(ReferenceMissing, match="seed 224"):
        public_oracle.verify(Session(None, public_oracle, other))
    assert np.isfinite(next(iter(public_oracle.arrays.values()))).all()
    assert re.match(r"[0-9a-f]{64}", next(iter(public_oracle.meta["sets"].values()))["fingerprint"])
