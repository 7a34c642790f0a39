"""What both sides of the process boundary speak: frames, values, stand-ins and their limits.

Standard library and numpy only, and nothing else of the grader: the
sandboxed worker imports this package and nothing trusted.
"""
