"""Sleeps 60 s at import (correct code otherwise), hoping to eat the whole run's time budget."""
import time as _time

_time.sleep(60)
_mark("BREACH-slept-60s", "the import was allowed to sleep 60 s")
