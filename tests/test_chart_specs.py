"""Charts declared with the canned queries (``# chart: …``): the header is checked when the
queries load (a chart over a column the query does not return names the file and line, and stops
``essaim serve``), the Vega-Lite spec and its text description are built from the rows (shares
with their denominators, bars on fewer than five cases flagged, a single case never drawn as a
bar), and the canned API and page give them on the default knowledge base."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from essaim.canned import Chart, QueryHeaderError, bundled_queries, load_queries
from essaim.chart_specs import FEW_CASES, MAX_CATEGORIES, OKABE_ITO, build
from essaim_app_fixtures import EssaimApp

REPO = Path(__file__).resolve().parents[1]

VALID = """\
# title: Initiatives by territory
# description: How many initiatives each territory has.
# tags: territories
PREFIX essaim: <https://w3id.org/essaim/ontology#>
SELECT ?territory (COUNT(?initiative) AS ?initiatives) (COUNT(?initiative) AS ?all) WHERE {
  ?initiative essaim:territory ?territory
} GROUP BY ?territory
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "x.rq"
    path.write_text(text, encoding="utf-8")
    return path


def with_chart(*lines: str) -> str:
    return VALID.replace("# tags: territories\n", "# tags: territories\n" + "".join(lines))


def test_a_chart_header_is_read(tmp_path: Path) -> None:
    write(tmp_path, with_chart(
        "# chart: bar x=territory y=initiatives\n#   n=all\n",
        "# chart-title: Initiatives\n# chart-title@fr: Initiatives (fr)\n",
        "# chart-description@fr: Une phrase.\n",
    ))  # fmt: skip
    chart = load_queries(tmp_path)["x"].chart
    titles = {"en": "Initiatives", "fr": "Initiatives (fr)"}
    columns = {"x": "territory", "y": "initiatives", "n": "all"}
    assert chart == Chart("bar", columns, titles, {"fr": "Une phrase."})


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ("# chart: bar x=territory y=nothing\n", 4,
         "chart y=nothing: the query does not return ?nothing (its columns: all, initiatives, "
         "territory)"),
        ("# chart: pie x=territory y=initiatives\n", 4, "unknown chart kind 'pie'"),
        ("# chart: heatmap x=territory y=initiatives\n", 4, "a heatmap chart needs color=COLUMN"),
        ("# chart: bar x=territory y=initiatives colour=all\n", 4,
         "unknown chart option 'colour=all'"),
        ("# chart: bar x=territory x=all y=initiatives\n", 4, "'x' is given twice"),
        ("# chart-title: Alone\n", 4, "a chart title or description needs a '# chart: …' line"),
        ("# chart: bar x=territory y=initiatives\n# chart: bar x=all y=initiatives\n", 5,
         "a second 'chart' line (first on line 4)"),
        ("# chart@fr: bar x=territory y=initiatives\n", 4, "a chart takes no language"),
    ],
)  # fmt: skip
def test_a_malformed_chart_names_file_and_line(
    tmp_path: Path, lines: str, line: int, message: str
) -> None:
    path = write(tmp_path, with_chart(lines))
    with pytest.raises(QueryHeaderError) as caught:
        load_queries(tmp_path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_a_chart_over_a_missing_column_stops_serve(tmp_path: Path) -> None:
    """``essaim serve`` on a checkout whose queries/ holds a chart over a column the query does
    not return stops at start-up, naming the file and line (a copy of the package, with the
    bundled ontology and kb beside it, and a queries/ folder holding that one file)."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "src" / "essaim", root / "src" / "essaim",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in ("ontology", "kb"):
        (root / name).symlink_to(REPO / name)
    (root / "queries").mkdir()
    bad = write(root / "queries", with_chart("# chart: bar x=territory y=initiativeCount\n"))
    environment = {**os.environ, "PYTHONPATH": str(root / "src")}
    environment.pop("ESSAIM_STORE", None)
    done = subprocess.run(
        [sys.executable, "-c", "from essaim.cli import main; main()", "--data-dir",
         str(tmp_path / "data"), "serve", "--port", "0"],
        capture_output=True, text=True, env=environment, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"{bad}:4: chart y=initiativeCount: the query does not return ?initiativeCount" in (
        done.stdout + done.stderr
    ), done.stdout + done.stderr


def rows(*items: tuple[str, str, str, str, str]) -> list[dict[str, str | None]]:
    keys = ("concept", "outcome", "share", "count", "n")
    return [dict(zip(keys, item, strict=True)) for item in items]


SHARES = Chart("grouped-bar", {"x": "concept", "y": "share", "group": "outcome", "n": "n",
                               "count": "count"}, {"en": "Shares"}, {})  # fmt: skip


def test_shares_carry_denominators_and_flag_few_and_single_cases() -> None:
    view = build(SHARES, {"en": "Q"}, rows(
        ("Time", "Scaled", "0.5", "6", "12"),
        ("Time", "Not scaled", "0.75", "3", "4"),
        ("Money", "Scaled", "0.25", "3", "12"),
        ("Money", "Alone", "1", "1", "1"),
    ), "en")  # fmt: skip
    values = view.spec["data"]["values"]
    assert view.drawn == len(values) == 3  # the single case is not a bar
    assert {v["_label"] for v in values} == {"6/12", "3/4", "3/12"}
    assert [v["_cases"] for v in values] == ["5 or more", "fewer than 5", "5 or more"]
    assert view.few == ["Time / Not scaled (3/4)"] and view.single == ["Money / Alone (1/1)"]
    assert view.spec["encoding"]["x"]["axis"] == {"format": ".0%"}
    assert view.spec["encoding"]["yOffset"] == {"field": "outcome", "type": "nominal"}
    opacity = view.spec["layer"][0]["encoding"]["opacity"]["scale"]
    assert opacity == {"domain": ["5 or more", "fewer than 5"], "range": [1, 0.35]}
    assert view.spec["layer"][1]["encoding"]["text"]["field"] == "_label"  # the denominators
    assert view.spec["config"]["range"]["category"] == list(OKABE_ITO)
    assert view.description == (
        "3 bars of share by concept, side by side for each outcome (Scaled, Not scaled); "
        "largest: Time / Not scaled (75%), smallest: Money / Scaled (25%). Each share is labelled "
        f"with its count and denominator (n). 1 rest on fewer than {FEW_CASES} cases and are "
        "drawn faded: Time / Not scaled (3/4). Not drawn, because each rests on a single case "
        "and no comparison can rest on one case: Money / Alone (1/1)."
    )
    assert view.spec["description"] == view.description and view.spec["title"] == "Shares"


def test_the_description_is_in_french() -> None:
    view = build(SHARES, {"en": "Q", "fr": "Q fr"}, rows(("Temps", "Essaimé", "0.5", "1", "1")),
                 "fr")  # fmt: skip
    assert view.drawn == 0 and view.title == "Shares"
    assert view.description.startswith("Rien à dessiner. Non dessinées, car chacune repose sur "
                                       "un seul cas")  # fmt: skip


def test_bars_keep_the_largest_categories_and_labels_fall_back_to_the_iri() -> None:
    chart = Chart("bar", {"x": "actorLabel", "y": "initiatives"}, {}, {})
    many = [{"actor": f"kb:actor/a{i}", "actorLabel": "", "initiatives": str(i)}
            for i in range(MAX_CATEGORIES + 5)]  # fmt: skip
    view = build(chart, {"en": "Actors"}, many, "en")
    values = view.spec["data"]["values"]
    assert view.drawn == MAX_CATEGORIES and values[0]["actorLabel"] == "a5"
    assert min(v["initiatives"] for v in values) == 5
    assert f"Only the {MAX_CATEGORIES} largest of {MAX_CATEGORIES + 5} actorLabel" in (
        view.description
    )
    assert view.title == "Actors"


def test_heatmap_and_timeline() -> None:
    heat = Chart("heatmap", {"x": "t", "y": "b", "color": "k"}, {}, {})
    view = build(heat, {"en": "H"}, [{"t": "A", "b": "x", "k": "2"}, {"t": "B", "b": "x", "k": "4"},
                                     {"t": "B", "b": "y", "k": ""}], "en")  # fmt: skip
    assert view.drawn == 2 and view.spec["layer"][0]["mark"]["type"] == "rect"
    assert view.description == (
        "2 cells of k, t across and b down; largest: B × x (4). rows without a number in k, not "
        "drawn: 1."
    )
    line = Chart("timeline", {"x": "year", "y": "action"}, {}, {})
    years = [("2006", "a"), ("2006", "b"), ("2004", "c"), ("", "d")]
    lines = [{"year": year, "action": action} for year, action in years]
    view = build(line, {"en": "T"}, lines, "en", truncated=True)
    assert view.drawn == 3 and view.spec["mark"]["type"] == "circle"
    assert view.description == (
        "3 points from 2004 to 2006, one line per action; busiest year: 2006 (2). rows without a "
        "year are not drawn: 1. The chart shows the first 4 rows of the answer."
    )


def test_a_network_is_a_vega_force_layout() -> None:
    chart = Chart("network", {"source": "b", "target": "f", "weight": "k"}, {}, {})
    pairs = [("Time", "Trust", "2"), ("Time", "Money", "1"), ("Space", "Trust", "3")]
    view = build(chart, {"en": "N"}, [{"b": b, "f": f, "k": k} for b, f, k in pairs], "en")
    assert view.spec["$schema"].endswith("/vega/v6.json") and view.drawn == 4
    nodes, links = (data["values"] for data in view.spec["data"])
    assert nodes == [{"name": "Time", "side": "b"}, {"name": "Trust", "side": "f"},
                     {"name": "Money", "side": "f"}, {"name": "Space", "side": "b"}]  # fmt: skip
    assert links == [{"source": 0, "target": 1, "weight": 2.0},
                     {"source": 0, "target": 2, "weight": 1.0},
                     {"source": 3, "target": 1, "weight": 3.0}]  # fmt: skip
    assert view.description == (
        "A network of 3 links between 2 values of b and 2 of f; most connected: Time (2 links)."
    )


def test_the_bundled_queries_declare_charts() -> None:
    charts = {name: q.chart.kind for name, q in bundled_queries().items() if q.chart}
    assert charts["barriers-by-territory"] == "heatmap"
    assert charts["factors-by-scaling-outcome"] == "grouped-bar"
    assert charts["codes-by-section"] == "stacked-bar"
    assert charts["action-timeline"] == "timeline"
    assert charts["bridging-actors"] == "bar"
    assert charts["co-occurring-barriers-and-success-factors"] == "network"


@pytest.mark.data("kb")
def test_the_api_gives_the_spec(kb_app: EssaimApp) -> None:
    got = kb_app.get("/api/queries/barriers-by-territory?format=vega-lite&lang=fr")
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
    spec = got.json()
    assert spec["$schema"].endswith("/vega-lite/v6.json")
    assert spec["title"] == "Initiatives rencontrant chaque frein, par territoire"
    assert {v["territoryLabel"] for v in spec["data"]["values"]} >= {"Sarthe", "France"}
    assert spec["description"].startswith("12 cases de initiatives")
    refused = kb_app.get("/api/queries/initiative-profile?format=vega-lite&initiative="
                         "kb:initiative/sarthe-ceas72-mise-en-reseau-ess")  # fmt: skip
    assert refused.status_code == 400
    assert "declares no chart" in refused.json()["detail"]


@pytest.mark.data("kb")
def test_the_page_says_what_a_single_case_cannot_compare(kb_app: EssaimApp) -> None:
    """On the default knowledge base every outcome of the factors rests on the founding case
    alone: no bar is drawn, and the description says why."""
    page = kb_app.get("/queries/factors-by-scaling-outcome?run=1&lang=en").text
    assert 'id="chart-description"' in page and 'id="chart-view"' not in page
    assert "Nothing to draw. Not drawn, because each rests on a single case" in page
    drawn = kb_app.get("/queries/barriers-by-territory?run=1&lang=en").text
    assert "12 cells of initiatives" in drawn
