"""ESSGlobal both ways: the SEA standard CSV comes in unchanged (less its contact fields,
dropped with a note) and goes back out as the standard CSV and ESSGlobal RDF. The round trip
runs on a 50-row sample of Co-operatives UK's standard CSV (tests/data/coops-uk, ODC-By)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import cast

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.publishing.essglobal import (
    CONTACT,
    EXPORTED,
    STANDARD,
    essglobal_turtle,
    records,
    standard_csv,
)
from essaim.publishing.importer import csv_graph_iri, import_csv
from essaim.publishing.problems import CsvRefused
from essaim.store import Dataset
from publishing_helpers import COOPS, count, new_store

pytestmark = pytest.mark.data("codebook")

DECIMALS = {"Latitude", "Longitude", "Geo Container Latitude", "Geo Container Longitude"}


@pytest.fixture
def store() -> Dataset:
    return new_store()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_round_trip_keeps_every_standard_field(store: Dataset) -> None:
    source = COOPS.read_bytes()
    result = import_csv(store, [(COOPS.name, source)], name="coops-uk-sample")
    assert result.counts == {"organisations": 50}
    notes = " ".join(e for _f, e in result.notes)
    assert "contact fields dropped (personal data): Phone, Email, Twitter, Facebook" in notes
    assert "columns outside the standard, ignored: Sector" in notes
    graph = csv_graph_iri("coops-uk-sample")
    exported = _rows(standard_csv(records(store, [graph])))
    original = _rows(source.decode("utf-8"))
    assert list(exported[0]) == list(EXPORTED)
    assert not set(CONTACT) & set(exported[0])
    assert set(STANDARD) - set(CONTACT) <= set(exported[0])
    by_id = {r["Identifier"]: r for r in exported}
    assert set(by_id) == {r["Identifier"] for r in original}
    compared = 0
    for row in original:
        back = by_id[row["Identifier"]]
        for column in EXPORTED:
            if column in DECIMALS and row.get(column):
                assert Decimal(back[column]) == Decimal(row[column]), (row["Identifier"], column)
            else:
                assert back[column] == row.get(column, ""), (row["Identifier"], column)
            compared += bool(row.get(column))
    assert compared > 400  # the sample fills most fields: names, structures, addresses…
    # multi-line street addresses and Companies House numbers came through
    assert any("\n" in r["Street Address"] for r in exported)
    assert sum(bool(r["Companies House Number"]) for r in exported) >= 5
    # the organisations are essaim organisations, typed from their structure
    query = f"SELECT DISTINCT ?t WHERE {{ GRAPH <{graph}> {{ ?o <{ns.ESSAIM}actorType> ?t }} }}"
    rows = cast(ox.QuerySolutions, store.query(query))
    types = {cast(ox.NamedNode, r["t"]).value.rsplit("/", 1)[-1] for r in rows}
    assert "cooperative" in types


def test_the_essglobal_rdf(store: Dataset) -> None:
    import_csv(store, [(COOPS.name, COOPS.read_bytes())], name="coops")
    turtle = essglobal_turtle(records(store, [csv_graph_iri("coops")]))
    triples = list(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    initiatives = {t.subject for t in triples if t.object.value == ns.ESSGLOBAL + "SSEInitiative"}
    assert len(initiatives) == 50
    properties = {t.predicate.value for t in triples}
    assert {ns.ESSGLOBAL + "organisationalStructure", ns.ESSGLOBAL + "primarySector",
            ns.ESSGLOBAL + "baseMembershipType", ns.ESSGLOBAL + "hasAddress",
            "http://www.w3.org/2006/vcard/ns#postal-code"} <= properties  # fmt: skip


STANDARD_WITH_CONTACTS = (
    "Identifier,Name,Description,Organisational Structure,Primary Activity,Activities,"
    "Street Address,Locality,Region,Postcode,Country Name,Website,Phone,Email,Twitter,Facebook,"
    "Companies House Number\r\n"
    '"ABC1",Fenland Growers,"Vegetable boxes; ask Jane on 01353 000001 or jane@fenland.example",'
    "Multi-stakeholder cooperative,"
    '"Agriculture",,1 Dyke Road,Ely,Cambridgeshire,CB7 4AA,United Kingdom,'
    "https://fenland.example,+44 1353 000000,jane.doe@example.org,janedoe,jane.doe.99,01234567\r\n"
)


def test_labels_come_in_and_contact_fields_never_do(store: Dataset) -> None:
    result = import_csv(store, [("other-publisher.csv", STANDARD_WITH_CONTACTS.encode())],
                        name="other-publisher")  # fmt: skip
    assert result.counts == {"organisations": 1}
    graph = csv_graph_iri("other-publisher")
    dumped = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    literals = " ".join(t.object.value for t in cast(list[ox.Triple], list(dumped)))  # type: ignore[arg-type]
    for personal in ("1353", "jane.doe@example.org", "janedoe", "jane.doe.99", "@fenland"):
        assert personal not in literals
    assert "Vegetable boxes; ask Jane on […] or […]" in literals
    notes = [e for _f, e in result.notes]
    assert notes == [
        "other-publisher.csv: contact fields dropped (personal data): Phone, Email, Twitter, "
        "Facebook.",
        "other-publisher.csv row 2: e-mail address or phone number removed from Description "
        "(contact data).",
    ]
    # a label named by the standard becomes the ESSGlobal concept
    row = _rows(standard_csv(records(store, [graph])))[0]
    assert row["Organisational Structure"] == (
        "http://purl.org/essglobal/standard/organisational-structure/OS100"
    )
    assert row["Name"] == "Fenland Growers" and row["Postcode"] == "CB7 4AA"
    assert row["Companies House Number"] == "01234567"


@pytest.mark.parametrize(
    ("cell_from", "cell_to", "column", "english"),
    [
        ("Multi-stakeholder cooperative", "Imaginary structure", "Organisational Structure",
         "'Imaginary structure' is not an ESSGlobal value of this field"),
        ("ABC1", "ABC 1", "Identifier", "invalid Identifier 'ABC 1'"),
        ("Fenland Growers", "=HYPERLINK(\"\"http://x\"\")", "Name",
         "the cell starts with '='"),
        ("https://fenland.example", "not a url", "Website", "'not a url' is not a web address"),
    ],
)  # fmt: skip
def test_a_broken_standard_csv_names_row_and_column(
    store: Dataset, cell_from: str, cell_to: str, column: str, english: str
) -> None:
    data = STANDARD_WITH_CONTACTS.replace(cell_from, cell_to, 1).encode()
    before = count(store)
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, [("broken.csv", data)], name="broken")
    problem = refused.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("broken.csv", 2, column)
    assert english in problem.en
    assert count(store) == before


def test_a_duplicate_identifier_in_the_standard_csv(store: Dataset) -> None:
    lines = COOPS.read_bytes().decode("utf-8").split("\r\n")
    data = "\r\n".join([*lines[:3], lines[1]]).encode()  # row 2 again, as row 4
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, [("dup.csv", data)], name="dup")
    problem = refused.value.problems[0]
    assert (problem.row, problem.column) == (4, "Identifier")
    assert "is already that of dup.csv row 2" in problem.en


def test_identifiers_differing_only_in_case_and_the_territory_option(store: Dataset) -> None:
    header = "Identifier,Name,Country ID\r\n"
    with pytest.raises(CsvRefused) as refused:
        import_csv(store, [("case.csv", (header + "ab1,One,\r\nAB1,Two,\r\n").encode())],
                   name="case")  # fmt: skip
    assert refused.value.problems[0].where("en") == "case.csv, row 3, column Identifier"
    # a row whose country the knowledge base lacks is placed in the batch's territory
    data = (header + "ab1,Une coopérative,XX\r\n").encode()
    import_csv(store, [("fr.csv", data)], name="fr", territory="72")
    rows = store.query(f"SELECT ?t WHERE {{ <{ns.KB}actor/fr-ab1> <{ns.ESSAIM}territory> ?t }}")
    assert [cast(ox.NamedNode, r["t"]).value for r in cast(ox.QuerySolutions, rows)] == [
        f"{ns.KB}territory/sarthe"
    ]
