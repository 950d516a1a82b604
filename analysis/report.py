"""The printable report as PDF: the report page's HTML rendered by WeasyPrint.

The HTML is the same page that `GET /results/{group}/report` serves (the web layer
renders it); this module only turns it into PDF. WeasyPrint may fetch only files inside
the given assets directory (the stylesheet) and `data:` URLs (the district's logo, which
carry their content with them): a report never makes a network request, and a
questionnaire text that smuggled in a URL could not make it read other files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher

__all__ = ["render_pdf"]


class _AssetFetcher(URLFetcher):  # type: ignore[misc]
    """Serves `file:` URLs inside one directory and `data:` URLs, and refuses everything
    else."""

    def __init__(self, directory: Path) -> None:
        # A refused URL is logged by WeasyPrint and left out; the report still renders.
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=False)
        self._directory = directory.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        path = Path(unquote(parts.path)).resolve()
        if parts.scheme != "file" or not path.is_relative_to(self._directory):
            raise ValueError(f"not a report asset: {url}")
        return super().fetch(url, headers)


def render_pdf(html: str, *, assets: Path) -> bytes:
    """The PDF of `html`; relative URLs in it resolve inside the `assets` directory."""
    document = HTML(
        string=html,
        base_url=assets.resolve().as_uri() + "/",
        url_fetcher=_AssetFetcher(assets),
    )
    pdf: bytes = document.write_pdf()
    return pdf
