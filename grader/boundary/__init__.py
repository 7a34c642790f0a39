"""The trusted side of the process boundary: start, confine, talk to and clean up after the worker.

Nothing here imports the submission or unpickles anything it sends; every
reply is checked in ``returned`` before the rubric sees it.
"""
