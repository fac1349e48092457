"""The "My key" screenshot: the dashboard as an ordinary key sees it, from a real proxy.

    python screenshots/my_key.py --proxy http://127.0.0.1:4000 --key sk-…   # writes my-key.svg/.png

Unlike ``generate.py`` (a demo database), this needs a LiteLLM proxy and a non-admin key
with some spend (the peer in ../shared/litellm-peer does; send it a few requests first).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path

from screenshots.generate import to_png
from spendtui.config import Config, Profile
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.screens.my_key import MyKeyScreen

HERE = Path(__file__).resolve().parent


async def shoot(proxy: str, key: str, size: tuple[int, int]) -> Path:
    profile = Profile(name="dev", proxy_url=proxy, api_key=key)
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), source_label=proxy))
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 60
        while not (isinstance(app.screen, MyKeyScreen) and app.screen.view is not None):
            if time.monotonic() > deadline:
                raise SystemExit(f"no My key view: {app.screen!r}")
            await pilot.pause(0.2)
        await pilot.pause(0.5)
        svg = HERE / "my-key.svg"
        app.save_screenshot(str(svg))
    return svg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    svg = asyncio.run(shoot(args.proxy, args.key, (120, 32)))
    if shutil.which("rsvg-convert"):
        to_png(svg)
    print(f"wrote {svg.relative_to(HERE.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
