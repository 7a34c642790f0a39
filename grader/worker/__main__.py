"""Entry point of the sandboxed worker process.

Usage (by the trusted side only): python -I -m grader.worker CONFIG_JSON
"""

import sys

from grader.worker.serve import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
