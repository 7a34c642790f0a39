"""The untrusted side: the only code that imports and calls student code.

It runs in a separate, sandboxed process (started by ``grader.boundary.sandbox``),
answers requests with plain data, and decides nothing. Nothing here may
import the reference solution or the grader's trusted modules.
"""
