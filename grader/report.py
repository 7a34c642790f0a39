"""Reports of a grading run, rendered from the jinja2 templates."""

import functools
import json

import jinja2


@functools.lru_cache(maxsize=None)
def _environment():
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=False, keep_trailing_newline=True)
    env.globals["points"] = lambda x: f"{x:g}"
    return env


def render(template, **values):
    return _environment().get_template(template).render(**values)


def text(run):
    return _environment().get_template("report.txt.j2").render(run=run)


def summary(run):
    """The top-level output Gradescope shows above the tests."""
    return _environment().get_template("summary.txt.j2").render(
        run=run, passed=sum(t.passed for t in run.tests)).strip()


def results_json(run):
    return run.results_json(output=summary(run))


def as_json_text(run):
    return json.dumps(results_json(run), indent=2)
