"""GraphiQL for partners: our page, our assets, a strict Content-Security-Policy.

The page loads React, GraphiQL and graphql-ws from `/graphiql-assets/graphiql/` when
`deploy/graphiql/install.sh` has copied them there from the npm registry (the Dockerfile does),
and otherwise the same pinned files from the public CDN, with subresource integrity. The
bootstrap script (`api/static/psx-graphiql.js`: the fetcher, WebSocket subscriptions with the
headers editor's bearer token, the example operations) is always served by us, so the policy
allows no inline script.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / "graphiql"
ASSETS_PATH = "/graphiql-assets"
CDN = "https://unpkg.com"


@dataclass(frozen=True, slots=True)
class Asset:
    """One vendored file: where it lives in its npm package and its SHA-384 (for SRI)."""

    file: str
    package: str
    version: str
    path: str
    integrity: str

    def cdn_url(self) -> str:
        return f"{CDN}/{self.package}@{self.version}/{self.path}"


# The versions of deploy/graphiql/package.json; the hashes are of those files.
STYLES = (
    Asset(
        "graphiql.min.css",
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
)
SCRIPTS = (
    Asset(
        "react.production.min.js",
        "react",
        "18.2.0",
        "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        "react-dom.production.min.js",
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        "graphql-ws.min.js",
        "graphql-ws",
        "5.16.0",
        "umd/graphql-ws.min.js",
        "sha384-oEPbisbEBMo7iCrbQcKx244HXUjGnF1jyS8hkVZ3oCwnw9c9oLfY70c1RKeKj3+i",
    ),
    Asset(
        "graphiql.min.js",
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
)
BOOTSTRAP = "psx-graphiql.js"


def assets_installed(vendor_dir: Path = VENDOR_DIR) -> bool:
    """True when every vendored file is there (deploy/graphiql/install.sh ran)."""
    return all((vendor_dir / a.file).is_file() for a in (*STYLES, *SCRIPTS))


def content_security_policy(*, self_hosted: bool) -> str:
    """Scripts from us only (plus the CDN when the assets are not installed), no inline script.

    GraphiQL sets inline style attributes and its stylesheet embeds fonts and icons as data
    URIs; queries go to this origin over HTTP and WebSocket.
    """
    cdn = "" if self_hosted else f" {CDN}"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self'{cdn}",
            f"style-src 'self' 'unsafe-inline'{cdn}",
            f"font-src 'self' data:{cdn}",
            "img-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def _tag(asset: Asset, *, self_hosted: bool, stylesheet: bool) -> str:
    if self_hosted:
        src = html.escape(f"{ASSETS_PATH}/graphiql/{asset.file}")
        attrs = ""
    else:
        src = html.escape(asset.cdn_url())
        attrs = f' integrity="{asset.integrity}" crossorigin="anonymous"'
    if stylesheet:
        return f'<link rel="stylesheet" href="{src}"{attrs}>'
    return f'<script src="{src}"{attrs}></script>'


def render_page(*, self_hosted: bool | None = None) -> str:
    """The GraphiQL page's HTML."""
    hosted = assets_installed() if self_hosted is None else self_hosted
    styles = "\n".join(_tag(a, self_hosted=hosted, stylesheet=True) for a in STYLES)
    scripts = "\n".join(_tag(a, self_hosted=hosted, stylesheet=False) for a in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PSX Analytics GraphiQL</title>
<link rel="icon" href="data:,">
{styles}
<link rel="stylesheet" href="{ASSETS_PATH}/psx-graphiql.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{scripts}
<script src="{ASSETS_PATH}/{BOOTSTRAP}"></script>
</body>
</html>
"""


def graphiql_response() -> HTMLResponse:
    """The page with its security headers; never cached (the asset mode may change)."""
    hosted = assets_installed()
    return HTMLResponse(
        render_page(self_hosted=hosted),
        headers={
            "Content-Security-Policy": content_security_policy(self_hosted=hosted),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def assets_app() -> StaticFiles:
    """`/graphiql-assets/`: the bootstrap script and, when installed, the vendored files."""
    return StaticFiles(directory=STATIC_DIR)
