"""Fetch axe-core, the accessibility checker the browser specs run on every page, from the npm
registry into .venv/share/axe-core/ (the script and its license). The version is pinned and the
download checked against the registry's sha512, so the specs always judge by the same rules.
Nothing of it is committed: the repository holds only code written for Refark."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
# the registry's `dist.integrity` for this version
INTEGRITY = "sha512-" + (
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
TARGET = Path(__file__).resolve().parent.parent / ".venv" / "share" / "axe-core"
WANTED = {"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE"}


def main() -> int:
    if (TARGET / f"axe-{VERSION}.ok").is_file():
        return 0
    url = f"{REGISTRY}/axe-core/-/axe-core-{VERSION}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        tarball = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != INTEGRITY:
        print(f"axe-core {VERSION} from {url} does not match its pinned checksum", file=sys.stderr)
        return 1
    TARGET.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member, name in WANTED.items():
            (TARGET / name).write_bytes(archive.extractfile(member).read())
    (TARGET / f"axe-{VERSION}.ok").write_text(url + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
