"""The instructor's commands: gradescope, build, check and batch.

The student handout is the package without this subpackage (and without
the reference), so none of these exist there.
"""
