"""Small helpers shared by the page controllers: htmx request kinds, blocking work off
the event loop."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
from litestar import Request

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (database, files) in a worker thread."""
    return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def is_fragment_request(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for a part of the page (a boosted navigation wants the page)."""
    return is_htmx(request) and request.headers.get("hx-boosted") != "true"
