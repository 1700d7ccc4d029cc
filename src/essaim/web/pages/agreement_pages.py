"""Agreement, adjudication and exchange over the web: pages for editors and the API behind them.

- ``GET /agreement`` (page) and ``GET /api/agreement`` (JSON): agreement between coders on
  ``document`` (repeatable), or the case documents of ``initiative``, or by default every
  document two coders coded; ``units`` = ``sections`` (default) or ``sentences``
  (:mod:`essaim.annotation.agreement`).
- ``GET /adjudication?initiative=…`` (page): the units where the coders differ, side by side,
  each with a form (one coder's codes, all, neither, a new code; a mode); ``POST /adjudication``
  applies one decision. ``GET``/``POST /api/adjudication``: the same as JSON
  (:mod:`essaim.annotation.adjudication`): the result is the initiative's adjudication graph,
  public, through the validated load.
- ``GET /api/exchange/annotations?format=csv|jsonld|qdpx`` (``document`` repeatable), ``GET
  /api/exchange/codebook.qdc`` (public, like the codebook), ``POST /api/exchange/import`` (a
  ``.qdpx`` or ``.qdc`` as ``file``, ``dry_run``) (:mod:`essaim.annotation.exchange`).

Agreement, adjudication and the annotations' export show every coder's codes, so they are for
editors and admins only (a bearer token, or a signed-in session; writes also carry its CSRF
token): blind coding holds for annotators. Refusals are one sentence (422) and change nothing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from essaim.annotation.adjudication import (
    AdjudicationError,
    Decision,
    Item,
    Outcome,
    adjudicate,
    disagreements,
    documents_of,
    initiative_of,
    items,
    statement_modes,
)
from essaim.annotation.agreement import (
    UNIT_KINDS,
    AgreementError,
    UnitKind,
    coded_documents,
    measure,
)
from essaim.annotation.exchange import (
    ExchangeError,
    codebook,
    codebook_qdc,
    concept_labels,
    pseudonym,
    read_codebook,
    read_project,
    to_csv,
    to_jsonld,
    to_qdpx,
)
from essaim.loading import SourceInvalid
from essaim.users import Role, User
from essaim.web.access import user_of, writer
from essaim.web.node import Node, node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.session_cookie import CSRF_FIELD
from essaim.web.signin import error_page, field, read_form

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["agreement"])

#: The most an import may send.
MAX_IMPORT = 50 * 1024 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="essaim"'}
_DOCUMENT = Query(None, description="A case document's IRI (repeatable)")
_INITIATIVE = Query(None, description="An initiative's IRI: its case documents")
_UNITS = Query("sections", description="The units of agreement: sections or sentences")
_LANG = Query("fr", description="Language of the code names: fr or en")


def _check_editor(user: User | None) -> User:
    if user is None:
        raise Problem(
            401,
            "agreement and adjudication show every coder's codes: send an editor's token or "
            "sign in at /login",
            headers=_CHALLENGE,
        )
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise Problem(
            403,
            f"{user.name} ({user.role}) may not see other coders' codes: an editor or an admin may",
        )
    return user


async def _editor(request: Request, node: Node) -> User:
    return _check_editor(await user_of(request, node))


def _units(request: Request) -> UnitKind:
    value = request.query_params.get("units", "sections")
    if value not in UNIT_KINDS:
        raise Problem(422, f"unknown unit kind {value!r} (units): use sections or sentences")
    return value


def _documents(node: Node, request: Request) -> list[str] | None:
    documents = request.query_params.getlist("document")
    initiative = request.query_params.get("initiative")
    if initiative:
        try:
            documents += documents_of(node.store, initiative)
        except AdjudicationError as exc:
            raise Problem(422, f"{exc} (initiative)") from None
    return documents or None


def _labels(node: Node, lang: str) -> dict[str, str]:
    labels = concept_labels(node.store)
    return {
        iri: names.get(lang) or names.get("en") or iri.rsplit("/", 1)[-1]
        for iri, names in labels.items()
    }


# ---------------------------------------------------------------------------- agreement


async def _report(request: Request, node: Node) -> Any:
    units = _units(request)
    documents = _documents(node, request)
    try:
        return await asyncio.to_thread(
            measure, node.store, node.annotations.raw, documents, unit_kind=units
        )
    except AgreementError as exc:
        raise Problem(422, str(exc)) from None


@api.get(
    "/api/agreement",
    summary="Agreement between coders",
    description=(
        "Krippendorff's alpha per concept (presence in each unit) and overall (pooled over "
        "concepts; MASI distance), Cohen's kappa per pair of coders, the confusion between "
        "concepts and the units where coders differ. `document` (repeatable) or `initiative`; "
        "by default every document two coders coded. `units`: sections (default) or sentences. "
        "Editors and admins."
    ),
)
async def agreement_api(
    request: Request,
    document: list[str] | None = _DOCUMENT,
    initiative: str | None = _INITIATIVE,
    units: str = _UNITS,
) -> Response:
    del document, initiative, units  # declared for the API's description; read from the query
    node = node_of(request)
    await _editor(request, node)
    report = await _report(request, node)
    return JSONResponse(report.to_json())


@router.get("/agreement")
async def agreement_page(request: Request) -> Response:
    node = node_of(request)
    try:
        await _editor(request, node)
        report = await _report(request, node)
    except Problem as exc:
        return error_page(request, exc)
    lang = language_of(request)
    labels = await asyncio.to_thread(_labels, node, lang)
    initiatives: dict[str, str] = {}
    for document in report.documents:
        initiative = await asyncio.to_thread(_maybe_initiative, node, document)
        if initiative is not None:
            initiatives[document] = initiative
    return render(
        request, "agreement.html", report=report, labels=labels,
        names={c: pseudonym(c) for c in report.coders}, initiatives=initiatives,
        units=report.unit_kind,
    )  # fmt: skip


# ---------------------------------------------------------------------------- adjudication


def _item_json(item: Item) -> dict[str, Any]:
    decision = item.decision
    return {
        "document": item.unit.document,
        "start": item.unit.start,
        "end": item.unit.end,
        "label": item.unit.label,
        "text": item.text,
        "coders": {
            coder: [
                {
                    "annotation": c.annotation,
                    "concept": c.concept,
                    "mode": c.mode,
                    "exact": c.exact,
                }
                for c in codings
            ]
            for coder, codings in item.codes.items()
        },
        "decision": None
        if decision is None
        else {
            "choice": decision.choice,
            "coder": decision.coder,
            "concept": decision.concept,
            "mode": decision.mode,
        },
    }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "graph": outcome.graph,
        "facts": outcome.facts,
        "agreed": outcome.agreed,
        "adjudicated": outcome.adjudicated,
        "pending": outcome.pending,
    }


def _decision(values: dict[str, Any], adjudicator: str, where: str) -> Decision:
    def text(name: str) -> str | None:
        value = values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise Problem(422, f"{where}{name} must be a string")
        return value

    try:
        start, end = int(values.get("start", "")), int(values.get("end", ""))
    except (TypeError, ValueError):
        raise Problem(422, f"{where}start and end must be integers (the unit's offsets)") from None
    document, choice = text("document"), text("choice")
    if document is None or choice is None:
        raise Problem(422, f"{where}document and choice are required")
    return Decision(
        document=document, start=start, end=end, choice=choice,  # type: ignore[arg-type]
        coder=text("coder"), concept=text("concept"), mode=text("mode"), adjudicator=adjudicator,
    )  # fmt: skip


async def _apply(node: Node, initiative: str, decisions: list[Decision], adjudicator: str,
                 units: UnitKind) -> Outcome:  # fmt: skip
    try:
        return await node.write(
            lambda: adjudicate(
                node.store,
                node.annotations.raw,
                initiative,
                decisions,
                adjudicator,
                unit_kind=units,
            )
        )
    except SourceInvalid as exc:
        violations = [
            f"{r.focus}{' — ' + r.path if r.path else ''}: {r.message('en')}"
            for report in exc.reports.values()
            for r in report.results
        ]
        raise Problem(422, str(exc), extra={"violations": violations}) from None
    except AdjudicationError as exc:
        raise Problem(422, str(exc)) from None


def _initiative(request: Request, value: str | None) -> str:
    if not value:
        raise Problem(422, "name the initiative to adjudicate (initiative)")
    return value


async def _items(node: Node, initiative: str, units: UnitKind) -> list[Item]:
    try:
        documents = await asyncio.to_thread(documents_of, node.store, initiative)
        return await asyncio.to_thread(
            items, node.store, node.annotations.raw, documents, unit_kind=units
        )
    except (AdjudicationError, AgreementError) as exc:
        raise Problem(422, str(exc)) from None


@api.get("/api/adjudication", summary="The units to adjudicate")
async def adjudication_api(
    request: Request, initiative: str | None = _INITIATIVE, units: str = _UNITS
) -> Response:
    del initiative, units  # declared for the API's description; read from the query
    node = node_of(request)
    await _editor(request, node)
    initiative = _initiative(request, request.query_params.get("initiative"))
    found = await _items(node, initiative, _units(request))
    return JSONResponse(
        {"initiative": initiative, "disagreements": [_item_json(i) for i in disagreements(found)]}
    )


@api.post(
    "/api/adjudication",
    summary="Settle disagreements",
    description=(
        "JSON body: `initiative`, optional `units` (sections or sentences) and `decisions`, "
        "each with `document`, `start`, `end` (the unit), `choice` (coder, all, neither, new), "
        "`coder` (for coder), `concept` (for new), optional `mode`. Rebuilds the initiative's "
        "adjudication graph (public, validated, all-or-nothing). Editors and admins."
    ),
)
async def adjudicate_api(request: Request) -> Response:
    node = node_of(request)
    user = _check_editor(await writer(request, node))
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Problem(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Problem(422, "the body must be a JSON object")
    initiative = _initiative(request, body.get("initiative"))
    units = body.get("units", "sections")
    if units not in UNIT_KINDS:
        raise Problem(422, f"unknown unit kind {units!r} (units): use sections or sentences")
    given = body.get("decisions", [])
    if not isinstance(given, list) or not all(isinstance(d, dict) for d in given):
        raise Problem(422, "decisions must be a list of objects")
    decisions = [_decision(d, user.iri, f"decisions[{i}].") for i, d in enumerate(given)]
    outcome = await _apply(node, initiative, decisions, user.iri, units)
    return JSONResponse(_outcome_json(outcome))


async def _adjudication_page(
    request: Request, node: Node, initiative: str | None, units: UnitKind,
    outcome: Outcome | None = None,
) -> Response:  # fmt: skip
    lang = language_of(request)
    if not initiative:
        coded = await asyncio.to_thread(coded_documents, node.annotations.raw)
        known = {await asyncio.to_thread(_maybe_initiative, node, d) for d in coded}
        choices = sorted(i for i in known if i is not None)
        return render(request, "adjudication.html", initiative=None, choices=choices,
                      units=units, items=[], outcome=None)  # fmt: skip
    found = await _items(node, initiative, units)
    labels = await asyncio.to_thread(_labels, node, lang)
    concepts = sorted(
        (labels.get(c.iri, c.iri), c.iri)
        for c in _walk_codable(await asyncio.to_thread(codebook, node.store))
    )
    modes = await asyncio.to_thread(statement_modes, node.store, lang)
    coders = sorted({coder for item in found for coder in item.codes})
    return render(
        request, "adjudication.html", initiative=initiative, choices=[], units=units,
        items=disagreements(found), agreed=sum(1 for i in found if i.agreed), labels=labels,
        concepts=concepts, modes=modes, names={c: pseudonym(c) for c in coders},
        outcome=outcome,
    )  # fmt: skip


def _maybe_initiative(node: Node, document: str) -> str | None:
    try:
        return initiative_of(node.store, document)
    except AdjudicationError:
        return None


def _walk_codable(codes: Any) -> list[Any]:
    out = []
    for code in codes:
        if code.codable:
            out.append(code)
        out += _walk_codable(code.children)
    return out


@router.get("/adjudication")
async def adjudication_page(request: Request) -> Response:
    node = node_of(request)
    try:
        await _editor(request, node)
        units = _units(request)
        return await _adjudication_page(
            request, node, request.query_params.get("initiative"), units
        )
    except Problem as exc:
        return error_page(request, exc)


@router.post("/adjudication")
async def adjudication_form(request: Request) -> Response:
    node = node_of(request)
    lang = language_of(request)
    form = await read_form(request)
    try:
        user = _check_editor(await writer(request, node, csrf=field(form, CSRF_FIELD)))
        initiative = _initiative(request, field(form, "initiative"))
        units = field(form, "units") or "sections"
        if units not in UNIT_KINDS:
            raise Problem(422, f"unknown unit kind {units!r} (units): use sections or sentences")
        values = {k: field(form, k) for k in ("document", "start", "end", "choice", "coder",
                                              "concept", "mode")}  # fmt: skip
        if values["choice"].startswith("coder:"):
            values["coder"] = values["choice"].removeprefix("coder:")
            values["choice"] = "coder"
        if values["choice"] != "new":
            values["concept"] = ""
        decision = _decision(values, user.iri, "")
        await _apply(node, initiative, [decision], user.iri, units)
    except Problem as exc:
        if exc.status != 422:
            return error_page(request, exc)
        items_ = exc.extra.get("violations", []) if exc.extra else []
        back = "/adjudication?" + urlencode({"initiative": field(form, "initiative")})
        return render(
            request, "message.html", status=422, lang=lang,
            heading=words(lang)["adjudication_refused"], message=exc.detail, items=items_,
            back=back,
        )  # fmt: skip
    query = urlencode({"initiative": initiative, "units": units})
    return RedirectResponse(f"/adjudication?{query}#done", status_code=303)


# ---------------------------------------------------------------------------- exchange


_EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "annotations.csv"),
    "jsonld": ('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
               "annotations.jsonld"),
    "qdpx": ("application/zip", "annotations.qdpx"),
}  # fmt: skip


@api.get(
    "/api/exchange/annotations",
    summary="Export the annotations",
    description=(
        "`format`: csv (one row per coded passage), jsonld (a W3C Web Annotation collection) "
        "or qdpx (a REFI-QDA project: codebook, case texts, coded selections, coders as "
        "pseudonyms). `document` (repeatable) limits it. Editors and admins."
    ),
)
async def export_api(
    request: Request,
    format: str = Query("csv", description="csv, jsonld or qdpx"),
    document: list[str] | None = _DOCUMENT,
    lang: str = _LANG,
) -> Response:
    del format, document, lang  # declared for the API's description; read from the query
    node = node_of(request)
    await _editor(request, node)
    fmt = request.query_params.get("format", "csv")
    if fmt not in _EXPORTS:
        raise Problem(422, f"unknown format {fmt!r} (format): use csv, jsonld or qdpx")
    documents = request.query_params.getlist("document")
    lang = request.query_params.get("lang", "fr")

    def build() -> bytes:
        found = [a for a in node.annotations.list() if not documents or a.document in documents]
        if fmt == "csv":
            return to_csv(found, concept_labels(node.store)).encode("utf-8")
        if fmt == "jsonld":
            data = to_jsonld(found, str(request.base_url))
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        return to_qdpx(node.store, found, documents, lang)

    try:
        data = await asyncio.to_thread(build)
    except ExchangeError as exc:
        raise Problem(422, str(exc)) from None
    media, name = _EXPORTS[fmt]
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@api.get("/api/exchange/codebook.qdc", summary="The codebook as a REFI-QDA codebook")
async def codebook_api(request: Request, lang: str = _LANG) -> Response:
    del lang  # declared for the API's description; read from the query
    node = node_of(request)
    from essaim.web.access import reader

    await reader(request, node)
    lang = request.query_params.get("lang", "fr")
    data = await asyncio.to_thread(codebook_qdc, node.store, lang)
    return Response(
        data, media_type="application/xml",
        headers={"Content-Disposition": 'attachment; filename="essaim-codebook.qdc"'},
    )  # fmt: skip


@api.post(
    "/api/exchange/import",
    summary="Import a REFI-QDA project or codebook",
    description=(
        "Multipart: `file` (.qdpx or .qdc), `dry_run` (true: report only). A project's coded "
        "selections become annotations (codes matched to concepts by GUID, IRI or label; "
        "what matches nothing is reported). Editors and admins."
    ),
)
async def import_api(request: Request) -> Response:
    node = node_of(request)
    form = await read_form(request, max_files=1)
    try:
        _check_editor(await writer(request, node, csrf=field(form, CSRF_FIELD)))
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Problem(400, "send the REFI-QDA file as 'file'")
        data = await upload.read(MAX_IMPORT + 1)
        name = (upload.filename or "").lower()
    finally:
        await form.close()
    if len(data) > MAX_IMPORT:
        raise Problem(413, f"the file is larger than {MAX_IMPORT} bytes")
    dry_run = field(form, "dry_run").lower() in ("true", "1", "on", "yes")
    try:
        if name.endswith(".qdc"):
            report = await asyncio.to_thread(read_codebook, data, node.store)
        elif name.endswith(".qdpx"):
            accounts = {u.iri for u in await asyncio.to_thread(node.users.list)}
            report = await asyncio.to_thread(read_project, data, node.store, accounts)
        else:
            raise Problem(422, "a REFI-QDA file ends in .qdpx or .qdc (file)")
    except ExchangeError as exc:
        raise Problem(422, str(exc)) from None
    if report.annotations and not dry_run:
        async with node.annotation_lock:
            await asyncio.to_thread(node.annotations.put_all, report.annotations)
    return JSONResponse(
        {
            "dry_run": dry_run,
            "annotations": len(report.annotations),
            "codes": report.codes,
            "unmatched_codes": report.unmatched_codes,
            "unmatched_sources": report.unmatched_sources,
            "unmatched_selections": report.unmatched_selections,
            "imported_coders": report.imported_coders,
        }
    )
