"""The rubric: which tests run on which cases, how each decides, and the hints it gives.

It imports neither a command nor a report: verdicts are data, rendered elsewhere.
"""
