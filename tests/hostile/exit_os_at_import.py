"""Forges results.json, then os._exit(0) at import: no cleanup, no exception the harness could catch."""
_forge("os-exit-import")
_os._exit(0)
