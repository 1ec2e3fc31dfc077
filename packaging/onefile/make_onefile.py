"""Make the one file to hand out from the built app folder: a small ELF stub (stub.c, with
unpack.sh compiled in) followed by the folder as an xz-compressed tar. packaging/README.md
says how it starts; packaging/build.sh runs this after PyInstaller.

    python packaging/onefile/make_onefile.py dist/evalstudio dist/evalstudio-0.1.0-linux-x86_64
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def payload(folder: Path, target: Path) -> None:
    """The folder as a tar (sorted, owner-free: the same folder gives the same bytes) in xz.
    xz rather than zstd, which unpacks faster: xz-utils is on every Debian and Ubuntu install,
    zstd is not. `-T0` writes independent blocks, which xz 5.4 and later unpack in parallel."""
    with target.open("wb") as out:
        tar = subprocess.Popen(
            [
                "tar",
                "-C",
                str(folder.parent),
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-cf",
                "-",
                folder.name,
            ],
            stdout=subprocess.PIPE,
        )
        assert tar.stdout is not None
        subprocess.run(["xz", "-6", "-T0", "-c"], stdin=tar.stdout, stdout=out, check=True)
        tar.stdout.close()
        if tar.wait() != 0:
            raise SystemExit(f"tar failed on {folder}")


def entries(folder: Path) -> int:
    """What unpack.sh counts (`find DIR | wc -l` on the unpacked folder), its marker included."""
    found = subprocess.run(["find", str(folder)], capture_output=True, text=True, check=True)
    return len(found.stdout.splitlines()) + 1


def version_of(folder: Path) -> str:
    shown = subprocess.run(
        [str(folder / "evalstudio"), "--version"], capture_output=True, text=True, check=True
    )
    return shown.stdout.split()[-1]


def c_string(text: str) -> str:
    """`text` as a C string literal, one source line per line of text."""
    lines = text.encode("ascii").decode().splitlines(keepends=True)
    return "\n".join(json.dumps(line) for line in lines)  # JSON escapes ASCII as C does


def stub(script: str, work: Path) -> bytes:
    (work / "script.h").write_text(f"static const char SCRIPT[] =\n{c_string(script)};\n")
    shutil.copy(HERE / "stub.c", work / "stub.c")
    cc = os.environ.get("CC", "cc")
    subprocess.run(
        [cc, "-Os", "-s", "-Wall", "-Werror", "-o", str(work / "stub"), str(work / "stub.c")],
        check=True,
    )
    return (work / "stub").read_bytes()


def make_onefile(folder: Path, out: Path, version: str | None = None) -> Path:
    version = version or version_of(folder)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        packed = work / "payload.tar.xz"
        payload(folder, packed)
        digest = hashlib.sha256()
        with packed.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        values = {
            "@VERSION@": version,
            "@HASH@": digest.hexdigest()[:12],
            "@PAYLOAD_BYTES@": str(packed.stat().st_size),
            "@ENTRIES@": str(entries(folder)),
        }
        script = (HERE / "unpack.sh").read_text()
        for key, value in values.items():
            script = script.replace(key, value)
        partial = out.with_name(out.name + ".part")
        with partial.open("wb") as f:
            f.write(stub(script, work))
            with packed.open("rb") as body:
                shutil.copyfileobj(body, f, 1 << 20)
        partial.chmod(0o755)
        partial.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the built app folder (dist/evalstudio)")
    parser.add_argument("out", type=Path, help="the one file to write")
    parser.add_argument("--version", help="default: what the folder's program says")
    args = parser.parse_args()
    made = make_onefile(args.folder, args.out, args.version)
    print(f"Made {made} ({made.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
