"""A classifier of passages trained on the node's own coded facts (scikit-learn), beside the
transparent suggester (``essaim.annotation.suggest``).

**Training data.** The passages of the public coded facts whose status is *agreed* or
*adjudicated* (``essaim.annotation.adjudication``): each fact's annotations' quotes
(``oa:exact``), labelled with the fact's concept. One passage quoted by several coders counts
once; a passage behind several facts carries all their concepts (multi-label). Nothing is
downloaded: the model is made from this node's data only.

**Threshold.** A concept is learned only when at least ``min_examples`` passages
(:data:`MIN_EXAMPLES`, the ``ESSAIM_CLASSIFIER_MIN_EXAMPLES`` setting) carry it; the others are
never predicted and the answers say so (``untrained``: concept → passages). Their passages
still serve as counter-examples of the learned concepts.

**Model.** TF-IDF of words (accents stripped, lower case, uni- and bigrams) joined with TF-IDF
of character 3–5-grams inside word boundaries, then one logistic regression per concept
(one-vs-rest, classes balanced). A concept is proposed for a passage when its probability is
at least :data:`MIN_PROBABILITY`, at most :data:`LIMIT` per passage, best first.

**Suggestions.** Stored like the suggester's: annotations of status *suggested*, whose creator
is :data:`CLASSIFIER` (a ``prov:SoftwareAgent`` described with essaim's and scikit-learn's
versions), memo ``classifier (p 0.87)``; they never count as coded facts or in agreement until a
coder accepts one, and acceptances and rejections count per concept as for the suggester.

**Where it lives.** ``<data_dir>/classifier/model.joblib`` (the node's own file, written by
``essaim annotations train`` or ``POST /api/classifier/train``, read back by the node when it
changes).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import pyoxigraph as ox

from essaim import __version__
from essaim.annotation.model import CODING_STATUS
from essaim.namespaces import ESSAIM, OA, SOFTWARE
from essaim.store.base import Dataset

#: The classifier's IRI: a software agent of this essaim version (its suggestions' creator).
CLASSIFIER: Final = f"{SOFTWARE}/{__version__}/classifier"
#: Passages a concept needs before it is learned (the default of the setting).
MIN_EXAMPLES: Final = 20
MIN_PROBABILITY: Final = 0.5
LIMIT: Final = 5
FOLDER: Final = "classifier"
AGREED: Final = CODING_STATUS + "agreed"
ADJUDICATED: Final = CODING_STATUS + "adjudicated"


def sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def classifier_label() -> str:
    """The agent's label: essaim's and scikit-learn's versions."""
    return f"essaim {__version__} classifier (scikit-learn {sklearn_version()})"


class ClassifierError(ValueError):
    """The classifier cannot be trained or used; one sentence saying why."""


@dataclass(frozen=True)
class Example:
    """A passage and the concepts its coded facts give it."""

    text: str
    concepts: frozenset[str]


_EXAMPLES = f"""
PREFIX essaim: <{ESSAIM}>
PREFIX oa: <{OA}>
SELECT DISTINCT ?concept ?exact WHERE {{
  ?fact a essaim:CodedFact ; essaim:concept ?concept ; essaim:codingStatus ?status ;
        essaim:hasAnnotation ?annotation .
  VALUES ?status {{ <{AGREED}> <{ADJUDICATED}> }}
  ?annotation oa:hasTarget ?target . ?target oa:hasSelector ?selector .
  ?selector a oa:TextQuoteSelector ; oa:exact ?exact .
}}
"""


def training_examples(store: Dataset) -> list[Example]:
    """The passages of the agreed and adjudicated coded facts, with their concepts."""
    found: dict[str, set[str]] = {}
    for row in cast(ox.QuerySolutions, store.query(_EXAMPLES)):
        concept, exact = row["concept"], row["exact"]
        if isinstance(concept, ox.NamedNode) and isinstance(exact, ox.Literal):
            text = " ".join(exact.value.split())
            if text:
                found.setdefault(text, set()).add(concept.value)
    return [Example(t, frozenset(c)) for t, c in sorted(found.items())]


def concept_counts(examples: Iterable[Example]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for example in examples:
        counts.update(example.concepts)
    return dict(sorted(counts.items()))


def make_pipeline() -> Any:
    """TF-IDF of words and of character n-grams → one-vs-rest logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    strip_accents="unicode", ngram_range=(1, 2), sublinear_tf=True, min_df=1
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    strip_accents="unicode",
                    ngram_range=(3, 5),
                    sublinear_tf=True,
                ),
            ),
        ]
    )
    model = OneVsRestClassifier(LogisticRegression(class_weight="balanced", max_iter=1000))
    return Pipeline([("features", features), ("model", model)])


@dataclass(frozen=True)
class Prediction:
    concept: str
    probability: float

    @property
    def reason(self) -> str:
        return f"classifier (p {self.probability:.2f})"


@dataclass
class Trained:
    """A trained classifier: the concepts it predicts and those it leaves out (under the
    threshold, with their passages)."""

    pipeline: Any
    concepts: list[str]
    untrained: dict[str, int]
    examples: int
    min_examples: int
    counts: dict[str, int] = field(default_factory=dict)
    essaim_version: str = __version__
    sklearn_version: str = field(default_factory=sklearn_version)

    def predict(
        self, texts: Sequence[str], *, limit: int = LIMIT, min_probability: float = MIN_PROBABILITY
    ) -> list[list[Prediction]]:
        """For each text, the concepts proposed, best first (ties by IRI)."""
        if not texts:
            return []
        probabilities = self.pipeline.predict_proba(list(texts))
        out = []
        for row in probabilities:
            found = [
                Prediction(c, round(float(p), 3))
                for c, p in zip(self.concepts, row, strict=True)
                if p >= min_probability
            ]
            found.sort(key=lambda p: (-p.probability, p.concept))
            out.append(found[:limit])
        return out

    def summary(self) -> dict[str, object]:
        """What the API and the command say of it."""
        return {
            "classifier": CLASSIFIER,
            "label": classifier_label(),
            "scikitLearn": self.sklearn_version,
            "examples": self.examples,
            "minExamples": self.min_examples,
            "concepts": {c: self.counts.get(c, 0) for c in self.concepts},
            "untrained": self.untrained,
            "note": (
                f"concepts with fewer than {self.min_examples} passages of agreed or "
                "adjudicated coded facts are not predicted (untrained)"
            ),
        }


def train(examples: Sequence[Example], *, min_examples: int = MIN_EXAMPLES) -> Trained:
    """A classifier of the concepts that ``min_examples`` passages at least carry; refused
    (ClassifierError) when no concept reaches it or nothing is left to tell them from."""
    if min_examples < 1:
        raise ClassifierError(f"min_examples must be at least 1, not {min_examples}")
    counts = concept_counts(examples)
    concepts = sorted(c for c, n in counts.items() if n >= min_examples)
    untrained = {c: n for c, n in counts.items() if n < min_examples}
    if not concepts:
        raise ClassifierError(
            f"no concept has {min_examples} passages of agreed or adjudicated coded facts "
            f"yet ({len(examples)} passages, {len(counts)} concepts; most: "
            f"{max(counts.values(), default=0)}): nothing to train"
        )
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer(classes=concepts)
    wanted = set(concepts)
    labels = binarizer.fit_transform([sorted(e.concepts & wanted) for e in examples])
    if any(int(labels[:, i].min()) == 1 for i in range(len(concepts))):
        raise ClassifierError(
            "every passage carries the same concept: the classifier needs passages without "
            "it to learn from (code more concepts)"
        )
    pipeline = make_pipeline()
    pipeline.fit([e.text for e in examples], labels)
    return Trained(
        pipeline=pipeline,
        concepts=concepts,
        untrained=untrained,
        examples=len(examples),
        min_examples=min_examples,
        counts=counts,
    )


def model_path(data_dir: Path) -> Path:
    return data_dir / FOLDER / "model.joblib"


def save(trained: Trained, data_dir: Path) -> Path:
    """Write the model in the node's data directory (the folder readable by its owner only)."""
    import joblib

    path = model_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    partial = path.with_suffix(".partial")
    joblib.dump(trained, partial)
    partial.replace(path)
    path.with_suffix(".json").write_text(json.dumps(trained.summary(), indent=2) + "\n")
    return path


class ClassifierHolder:
    """The node's classifier: read from its data directory when the file changes, replaced when
    an editor trains a new one."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._trained: Trained | None = None
        self._stamp: float | None = None

    def current(self) -> Trained | None:
        """The trained classifier, or None when none was trained on this node."""
        import joblib

        path = model_path(self.data_dir)
        with self._lock:
            try:
                stamp = path.stat().st_mtime
            except FileNotFoundError:
                return None
            if stamp != self._stamp:
                loaded = joblib.load(path)  # the node's own file, written by save()
                if not isinstance(loaded, Trained):
                    raise ClassifierError(f"{path} does not hold an essaim classifier")
                self._trained, self._stamp = loaded, stamp
            return self._trained

    def train(self, store: Dataset, min_examples: int) -> Trained:
        trained = train(training_examples(store), min_examples=min_examples)
        save(trained, self.data_dir)
        with self._lock:
            self._trained, self._stamp = None, None
        return trained
