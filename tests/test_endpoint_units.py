"""The endpoint's pure parts: content negotiation, the graphs an update names, settings."""

from __future__ import annotations

import pytest

from essaim.config import ServerSettings, Settings, SettingsError
from essaim.store.update_clause import scan_update, with_using
from essaim.web.protocols.formats import (
    CSV,
    JSON,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    XML,
    BadFormat,
    formats_for,
    parse_accept,
    quality,
)


@pytest.mark.parametrize(
    ("accept", "solutions", "graph"),
    [
        (None, JSON, TURTLE),
        ("*/*", JSON, TURTLE),
        ("text/csv;q=0.5, application/sparql-results+json;q=0.9", JSON, None),
        ("text/*;q=0.1, text/csv", CSV, TURTLE),
        ("application/*", JSON, NTRIPLES),
        ("application/sparql-results+xml, application/rdf+xml;q=0.8", XML, RDFXML),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", XML, RDFXML),
        ("image/png", None, None),
        ("*/*, application/sparql-results+json;q=0", XML, TURTLE),
        ("application/json", JSON, JSONLD),
    ],
)
def test_negotiation(accept: str | None, solutions: str | None, graph: str | None) -> None:
    chosen = formats_for(accept, None)
    assert chosen["solutions"] == solutions
    assert chosen["graph"] == graph


def test_the_format_parameter_wins_and_maps_families() -> None:
    assert formats_for("image/png", "csv")["solutions"] == CSV
    assert formats_for(None, "json") == {"solutions": JSON, "boolean": JSON, "graph": JSONLD}
    assert formats_for(None, "turtle")["solutions"] is None
    assert formats_for(None, "text/tab-separated-values")["solutions"] is not None
    with pytest.raises(BadFormat, match="unknown format 'pdf'"):
        formats_for(None, "pdf")


def test_accept_parsing_tolerates_junk() -> None:
    ranges = parse_accept("text/csv;q=abc, garbage, ;;, application/json;level=1;q=0.3")
    assert quality(ranges, "text/csv") == 0.0
    assert quality(ranges, "application/json") == 0.3
    assert quality(parse_accept("text/*;q=0.2, */*;q=0.1"), "text/turtle") == 0.2


def test_update_scan_finds_the_graphs_an_update_writes() -> None:
    scan = scan_update(
        "PREFIX g: <https://ex.org/g/> # GRAPH <https://ex.org/comment>\n"
        "DELETE DATA { GRAPH g:a { <s> <p> 'INTO <https://ex.org/string>' } } ;\n"
        "INSERT { GRAPH <https://ex.org/b> { ?s ?p ?o } } USING <https://ex.org/c>\n"
        "WHERE { ?s ?p ?o } ;\n"
        "COPY <https://ex.org/d> TO GRAPH <https://ex.org/e>"
    )
    # USING and a COPY's source are read, not written.
    assert scan.graphs == ["https://ex.org/g/a", "https://ex.org/b", "https://ex.org/e"]
    assert scan.has_dataset and not scan.any_graph
    assert scan_update("CLEAR NAMED").any_graph
    assert scan_update("WITH ?nope DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").any_graph


def test_using_parameters_become_using_clauses() -> None:
    text = "INSERT { ?s <p> 'WHERE' } WHERE { ?s ?p ?o } ; DELETE WHERE { ?s <q> ?o }"
    rewritten = with_using(text, ["https://ex.org/a"], ["https://ex.org/b"])
    assert rewritten == (
        "INSERT { ?s <p> 'WHERE' } USING <https://ex.org/a> USING NAMED <https://ex.org/b> "
        "WHERE { ?s ?p ?o } ; DELETE WHERE { ?s <q> ?o }"
    )


def test_server_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "ESSAIM_QUERY_TIMEOUT": "2.5",
            "ESSAIM_WORKERS": "3",
            "ESSAIM_PRIVATE_READS": "yes",
            "ESSAIM_CORS_ORIGINS": "https://a.org, https://b.org",
        }
    )
    assert settings.server.query_timeout_s == 2.5 and settings.server.workers == 3
    assert settings.server.public_reads is False
    assert settings.server.cors_origins == ("https://a.org", "https://b.org")
    assert Settings.from_env({}).server == ServerSettings()
    with pytest.raises(SettingsError, match="ESSAIM_WORKERS='many'"):
        Settings.from_env({"ESSAIM_WORKERS": "many"})
