# ruff: noqa: E501  (a catalogue of words: one line per group reads best)
"""French and English for the pages: the language of a request (``?lang=``, then the ``lang``
cookie a switch sets, then ``Accept-Language``, French by default) and the interface's words."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("fr", "en")
DEFAULT = "fr"


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, -1.0
    for item in request.headers.get("accept-language", "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "home": "Accueil", "queries": "Requêtes", "editor": "Éditeur SPARQL", "ontology": "Ontologie",
        "graphs": "Graphes", "search": "Rechercher", "search_placeholder": "Rechercher (initiatives, acteurs, passages…)",
        "tagline": "Base de connaissances sur l'innovation sociale dans l'économie sociale et solidaire",
        "holds": "Ce que contient la base", "last_update": "Dernière mise à jour",
        "initiatives": "Initiatives", "actors": "Acteurs", "territories": "Territoires",
        "coded_facts": "Faits codés", "annotations": "Annotations", "concepts": "Concepts du codebook",
        "quads": "Triplets", "case_documents": "Documents de cas", "actions": "Actions",
        "findings": "Constats", "proposals": "Propositions",
        "summary": "Résumé", "description": "Description", "carrier": "Porteur", "partners": "Partenaires",
        "participants": "Participants par famille de l'ESS", "timeline": "Actions dans le temps",
        "hasBarrier": "Freins", "hasSuccessFactor": "Facteurs de succès", "hasCondition": "Conditions",
        "hasImpact": "Impacts", "hasScalingStrategy": "Stratégies d'essaimage",
        "hasProposal": "Propositions", "hasFinding": "Constats", "usesResource": "Ressources et financements",
        "mentionsSimilarInitiatives": "Initiatives similaires mentionnées",
        "similar": "Initiatives proches (codes partagés)", "shared_codes": "codes partagés",
        "territory": "Territoire", "document": "Document source", "source": "Source", "rights": "Droits",
        "passage": "Passage", "no_passage": "pas de passage codé", "network": "Réseau de partenariat",
        "family": "Famille", "sectors": "Secteurs", "roles": "Rôles", "in_initiatives": "Initiatives",
        "part_of": "Fait partie de", "parts": "Comprend", "level": "Niveau", "code": "Code officiel",
        "coded_summary": "Faits codés sur les initiatives du territoire", "definition": "Définition",
        "alt_labels": "Autres libellés", "broader": "Plus générique", "narrower": "Plus spécifiques",
        "inScheme": "Schéma", "related": "Voir aussi", "exactMatch": "Correspondance exacte",
        "closeMatch": "Correspondance proche", "coded_with": "Initiatives codées avec ce concept",
        "properties": "Propriétés", "incoming": "Cité par", "types": "Types", "passages": "Passages",
        "run": "Exécuter", "results": "Résultats", "download": "Télécharger", "rows": "lignes",
        "truncated": "Résultat tronqué à {n} lignes : téléchargez le résultat complet.",
        "parameters": "Paramètres", "tags": "Mots-clés", "no_results": "Aucun résultat.",
        "graph": "Graphe", "triples": "triplets", "loaded": "Chargé", "validated": "Validé (SHACL)",
        "licence": "Licence", "software": "Logiciel", "user": "Auteur (pseudonyme)",
        "editor_fallback": "Éditeur simple (YASGUI n'est pas installé : `make setup` l'installe).",
        "query": "Requête", "other_formats": "Autres formats", "years": "Années",
        "outcome": "Essaimage", "scaling_potential": "Potentiel de changement d'échelle",
        "upheld_values": "Valeurs", "entry": "Entrée", "not_found": "Aucune ressource de ce nom.",
        "search_results": "Résultats de la recherche", "language": "Langue", "api": "API",
        "all_queries": "Requêtes comparatives", "open_editor": "Ouvrir dans l'éditeur",
        "kind_initiative": "Initiative", "kind_actor": "Acteur", "kind_territory": "Territoire",
        "kind_concept": "Concept du codebook", "colon": " : ",
    },
    "en": {
        "home": "Home", "queries": "Queries", "editor": "SPARQL editor", "ontology": "Ontology",
        "graphs": "Graphs", "search": "Search", "search_placeholder": "Search (initiatives, actors, passages…)",
        "tagline": "A knowledge base on social innovation in the social and solidarity economy",
        "holds": "What the knowledge base holds", "last_update": "Last update",
        "initiatives": "Initiatives", "actors": "Actors", "territories": "Territories",
        "coded_facts": "Coded facts", "annotations": "Annotations", "concepts": "Codebook concepts",
        "quads": "Triples", "case_documents": "Case documents", "actions": "Actions",
        "findings": "Findings", "proposals": "Proposals",
        "summary": "Summary", "description": "Description", "carrier": "Carrier", "partners": "Partners",
        "participants": "Participants by ESS family", "timeline": "Actions over time",
        "hasBarrier": "Barriers", "hasSuccessFactor": "Success factors", "hasCondition": "Conditions",
        "hasImpact": "Impacts", "hasScalingStrategy": "Scaling strategies",
        "hasProposal": "Proposals", "hasFinding": "Findings", "usesResource": "Resources and funding",
        "mentionsSimilarInitiatives": "Similar initiatives mentioned",
        "similar": "Related initiatives (shared codes)", "shared_codes": "shared codes",
        "territory": "Territory", "document": "Source document", "source": "Source", "rights": "Rights",
        "passage": "Passage", "no_passage": "no coded passage", "network": "Partnership network",
        "family": "Family", "sectors": "Sectors", "roles": "Roles", "in_initiatives": "Initiatives",
        "part_of": "Part of", "parts": "Comprises", "level": "Level", "code": "Official code",
        "coded_summary": "Facts coded on the territory's initiatives", "definition": "Definition",
        "alt_labels": "Other labels", "broader": "Broader", "narrower": "Narrower",
        "inScheme": "Scheme", "related": "See also", "exactMatch": "Exact match",
        "closeMatch": "Close match", "coded_with": "Initiatives coded with this concept",
        "properties": "Properties", "incoming": "Referred to by", "types": "Types", "passages": "Passages",
        "run": "Run", "results": "Results", "download": "Download", "rows": "rows",
        "truncated": "Result cut at {n} rows: download the whole result.",
        "parameters": "Parameters", "tags": "Tags", "no_results": "No results.",
        "graph": "Graph", "triples": "triples", "loaded": "Loaded", "validated": "Validated (SHACL)",
        "licence": "Licence", "software": "Software", "user": "Author (pseudonym)",
        "editor_fallback": "Plain editor (YASGUI is not installed: `make setup` installs it).",
        "query": "Query", "other_formats": "Other formats", "years": "Years",
        "outcome": "Scaling outcome", "scaling_potential": "Scaling potential",
        "upheld_values": "Values", "entry": "Entry", "not_found": "No resource of that name.",
        "search_results": "Search results", "language": "Language", "api": "API",
        "all_queries": "Comparative queries", "open_editor": "Open in the editor",
        "kind_initiative": "Initiative", "kind_actor": "Actor", "kind_territory": "Territory",
        "kind_concept": "Codebook concept", "colon": ": ",
    },
}  # fmt: skip


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS[DEFAULT])
