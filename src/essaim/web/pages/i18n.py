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
        "sign_in": "Se connecter", "sign_out": "Se déconnecter", "signed_in_as": "Connecté·e :",
        "with_password": "Par nom et mot de passe", "with_token": "Par jeton", "user_name": "Nom",
        "password": "Mot de passe", "token": "Jeton (essaim_…)",
        "sign_in_help": "Un mot de passe se définit avec « essaim user passwd NOM ». Les programmes écrivent avec un jeton dans l'en-tête Authorization: Bearer.",
        "login_failed": "Ce nom et ce mot de passe (ou ce jeton) ne correspondent à aucun compte.",
        "login_throttled": "Trop d'échecs de connexion : réessayez dans {minutes} minute(s).",
        "login_incomplete": "Donnez votre nom et votre mot de passe, ou votre jeton.",
        "error": "Erreur", "error_400": "Requête incorrecte", "error_401": "Connexion requise",
        "error_403": "Refusé", "error_413": "Trop volumineux", "error_415": "Format non pris en charge",
        "back": "Retour", "upload_graph": "Déposer un graphe", "upload_file": "Fichier (Turtle, TriG, N-Triples, JSON-LD)",
        "upload_target": "Graphe (IRI ou chemin)", "upload_target_help": "Un chemin est relatif à la base des graphes du nœud.",
        "upload_scope": "Vous pouvez écrire les graphes sous", "upload_mode": "Mode",
        "upload_replace": "Remplacer le graphe", "upload_merge": "Fusionner avec le graphe", "upload": "Déposer",
        "upload_invalid": "Le graphe ne respecte pas le contrat SHACL", "upload_unreadable": "Le fichier ne se lit pas",
        "written_created": "Graphe créé", "written_replaced": "Graphe remplacé", "written_merged": "Graphe fusionné",
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
        "sign_in": "Sign in", "sign_out": "Sign out", "signed_in_as": "Signed in:",
        "with_password": "With name and password", "with_token": "With a token", "user_name": "Name",
        "password": "Password", "token": "Token (essaim_…)",
        "sign_in_help": "Set a password with 'essaim user passwd NAME'. Programs write with a token in an Authorization: Bearer header.",
        "login_failed": "That name and password (or that token) match no account.",
        "login_throttled": "Too many failed sign-ins: try again in {minutes} minute(s).",
        "login_incomplete": "Give your name and password, or your token.",
        "error": "Error", "error_400": "Bad request", "error_401": "Sign-in required",
        "error_403": "Refused", "error_413": "Too large", "error_415": "Unsupported format",
        "back": "Back", "upload_graph": "Upload a graph", "upload_file": "File (Turtle, TriG, N-Triples, JSON-LD)",
        "upload_target": "Graph (IRI or path)", "upload_target_help": "A path is relative to the node's graph base.",
        "upload_scope": "You may write the graphs under", "upload_mode": "Mode",
        "upload_replace": "Replace the graph", "upload_merge": "Merge into the graph", "upload": "Upload",
        "upload_invalid": "The graph breaks the SHACL contract", "upload_unreadable": "The file cannot be read",
        "written_created": "Graph created", "written_replaced": "Graph replaced", "written_merged": "Graph merged",
    },
}  # fmt: skip


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS[DEFAULT])
