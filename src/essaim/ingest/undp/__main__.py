"""``python -m essaim.ingest.undp extract --from PATH`` and ``... build`` (make kb)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from essaim.ingest.undp import EXTRACT, ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m essaim.ingest.undp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser(
        "extract", help="make the committed extract from the original SDG Commons JSONL"
    )
    extract.add_argument("--from", dest="original", type=Path, required=True)
    extract.add_argument("--to", dest="target", type=Path, default=EXTRACT)
    build = commands.add_parser("build", help="generate the Turtle under kb/ from the extract")
    build.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.command == "extract":
        from essaim.ingest.undp.extract import extract as run_extract

        if not args.original.is_file():
            print(
                f"{args.original}: no such file (the original JSONL of the SDG Commons)",
                file=sys.stderr,
            )
            return 2
        records = run_extract(args.original, args.target)
        print(f"{len(records)} experiment records written to {args.target}")
    else:
        from essaim.ingest.undp.build import build as run_build

        written = run_build(args.root)
        print(f"{len(written)} files generated under {args.root / 'kb'}")
    print(f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
