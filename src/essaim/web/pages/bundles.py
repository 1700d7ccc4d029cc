"""The JavaScript bundles the pages use, from the npm registry (``make setup`` installs them
into git-ignored folders of the checkout) and served by this node, never from a CDN: YASGUI for
the SPARQL editor, Swagger UI for the API's documentation, Recogito's text annotator for the
annotation page, Vega-Lite and vega-embed for the canned queries' charts."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from essaim.resources import bundled_data


@dataclass(frozen=True)
class Bundle:
    """An npm package's built files: where ``make setup`` puts them, the variable that names
    another folder, and the files the page needs."""

    name: str
    variable: str
    folder: str  # under the checkout
    files: tuple[str, ...]

    def find(self) -> Path | None:
        """The folder holding :attr:`files`: the one ``$variable`` names when it is set, else the
        checkout's; None when that folder lacks one of them."""
        configured = os.environ.get(self.variable)
        folder = Path(configured) if configured else None
        if folder is None:
            with contextlib.suppress(RuntimeError):
                folder = bundled_data().root / self.folder
        if folder is not None and all((folder / name).is_file() for name in self.files):
            return folder
        return None


YASGUI = Bundle(
    "@zazuko/yasgui",
    "ESSAIM_YASGUI_DIR",
    ".yasgui/node_modules/@zazuko/yasgui/build",
    ("yasgui.min.js", "yasgui.min.css"),
)
SWAGGER_UI = Bundle(
    "swagger-ui-dist",
    "ESSAIM_SWAGGER_UI_DIR",
    ".swagger-ui/node_modules/swagger-ui-dist",
    ("swagger-ui-bundle.js", "swagger-ui.css"),
)
RECOGITO = Bundle(
    "@recogito/text-annotator",
    "ESSAIM_RECOGITO_DIR",
    ".recogito/node_modules/@recogito/text-annotator/dist",
    ("text-annotator.umd.js", "text-annotator.css"),
)
VEGA = Bundle(
    "vega-embed",
    "ESSAIM_VEGA_DIR",
    ".vega/node_modules",
    ("vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js",
     "vega-embed/build/vega-embed.min.js"),
)  # fmt: skip
