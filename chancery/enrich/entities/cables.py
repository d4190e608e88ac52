"""Cable conventions: how all-caps State Department telegrams (1970s) name people and states.

The History Lab annotations mark reporting officers and officials named by title alone as
persons, and a government's acronym ("USG", "GOI": Government of Israel/India) as the country.
"""

from __future__ import annotations

from collections.abc import Collection

from chancery.enrich.entities.dictionary import Resolver, Token
from chancery.enrich.entities.words import (
    CABLE_WORDS,
    ENGLISH,
    GOVERNMENTS,
    PERSON_TITLES,
    VOWELS,
    garbled,
    word_list,
    words,
)

CABLE_ROLES = {tuple(phrase.split()) for phrase in word_list("cable_roles")}
ROLE_FIRST = {r[0] for r in CABLE_ROLES}
CABLE_TITLES = PERSON_TITLES | words("cable_titles")
HONORIFICS = {"mr", "mrs", "ms", "dr"}
SPEECH = words("speech_verbs")
CLASSIFICATION = words("classification")
# Words that a government or a country stands behind in the History Lab annotations: "THE
# GOVERNMENT", "HIS COUNTRY" are the state (GPE); "A GOVERNMENT", "EACH COUNTRY" are not.
STATE_NOUNS = {"government", "govt", "regime"}
DEFINITE = {"the", "his", "her", "its", "their", "our", "my", "your", "this", "that"}
INDEFINITE = {"a", "an", "any", "another", "each", "every", "no", "such", "unity", "one", "party", "form"}
GEO_FEATURES = {"ocean", "sea", "gulf", "peninsula", "subcontinent", "basin"}
REGION_QUALIFIERS = {"latin", "central", "pan"}


def follows(text: str, toks: list[Token], i: int, previous: Collection[str]) -> bool:
    """Token i directly follows one of `previous` (a space or a dot between, no comma or line break)."""
    if i == 0 or toks[i - 1].norm not in previous:
        return False
    gap = text[toks[i - 1].end : toks[i].start]
    return gap.strip(" .") == ""


def not_country(resolver: Resolver, toks: list[Token], i: int, text: str | None = None) -> bool:
    """A nationality word that does not stand for its country: "INDIAN OCEAN", "LATIN AMERICAN",
    "TURKISH CYPRIOTS" (a community: both words; with `text`, only when nothing but spaces lies
    between them: "THE ISRAELIS. SWEDES AGREED" names two countries)."""
    prev = toks[i - 1].norm if i else ""
    nxt = toks[i + 1].norm if i + 1 < len(toks) else ""
    if nxt in GEO_FEATURES or prev in REGION_QUALIFIERS:
        return True
    word = toks[i].norm
    if nxt and _plural_demonym(resolver, nxt) and _nationality(resolver, word) and _joined(text, toks, i):
        return True
    return (
        bool(prev)
        and _plural_demonym(resolver, word)
        and _nationality(resolver, prev)
        and _joined(text, toks, i - 1)
    )


def _joined(text: str | None, toks: list[Token], i: int) -> bool:
    """Tokens i and i + 1 are one phrase: only spaces between them (always, without `text`)."""
    return text is None or not text[toks[i].end : toks[i + 1].start].strip()


def _nationality(resolver: Resolver, word: str) -> bool:
    return bool(resolver.nationals(word) or resolver.keys.get((word,), {}).get("place"))


def _plural_demonym(resolver: Resolver, word: str) -> bool:
    return len(word) > 4 and word.endswith("s") and bool(resolver.nationals(word))


def _acronym(resolver: Resolver, word: str) -> bool:
    """Short, listed as nobody's surname or given name: "APRA", "OPEC", "USLO" rather than "CHAO"."""
    return len(word) <= 5 and word not in resolver.given and not resolver.keys.get((word,), {}).get("surname")


def _signature(text: str, toks: list[Token]) -> list[int]:
    """Token indices of the signer: a cable ends with the sender's surname on a line of its own
    ("KISSINGER", "BRUCE UNQUOTE KISSINGER")."""
    end = len(text.rstrip())
    line_start = text.rfind("\n", 0, end) + 1
    idx = [i for i in range(len(toks) - 1, -1, -1) if toks[i].start >= line_start][::-1]
    signer = [i for i in idx if toks[i].norm not in ("unquote", "unqte", "quote", "end")]
    if not signer or len(idx) > 4 or len(signer) > 2:
        return []
    if not all(
        toks[i].text.isalpha()
        and len(toks[i].norm) > 2
        and toks[i].norm not in CABLE_WORDS
        and toks[i].norm not in CLASSIFICATION
        and not VOWELS.isdisjoint(toks[i].norm)
        and not garbled(toks[i].norm)
        for i in signer
    ):
        return []
    return signer


def cable_mentions(
    resolver: Resolver, text: str, toks: list[Token], taken: set[int], persons: Collection[int] = frozenset()
) -> list[tuple[int, int, str]]:
    """Extra (start token, end token, type) mentions in an all-caps cable, outside `taken` tokens.

    `persons`: token indices of the person mentions already found (for "PERES AND GUR").
    """
    out: list[tuple[int, int, str]] = []
    names: set[str] = set()
    weak: set[str] = set()  # names seen only with a possessive: "JAUERGUI'S", but also "OPEC'S"
    n = len(toks)
    for i, tok in enumerate(toks):  # names after a title: "PRESIDENT BANZER", "FONMIN GALINDO POHL"
        if i in taken:
            continue
        if len(tok.norm) == 2 and tok.text.isalpha() and follows(text, toks, i, HONORIFICS):
            names.add(tok.norm)  # "DR. LI", "MR. WU"
        if not resolver.unlisted(tok.norm):
            continue
        after = toks[i + 1].norm if i + 1 < n else ""
        if after in SPEECH or (after == "who" and not _acronym(resolver, tok.norm)):
            names.add(tok.norm)  # "ECEVIT SAID", "BARDER, WHO"
        elif after == "s" and toks[i + 1].start - tok.end == 1:
            weak.add(tok.norm)
        if follows(text, toks, i, CABLE_TITLES) or follows(text, toks, i, resolver.given):
            names.add(tok.norm)  # "PRESIDENT BANZER", "LUCIEN DAHDAH"
            if i + 1 < n and resolver.unlisted(toks[i + 1].norm) and toks[i + 1].start - tok.end <= 1:
                names.add(toks[i + 1].norm)
    names |= {w for w in weak if not _acronym(resolver, w)}
    known = set(persons) | {i for i, t in enumerate(toks) if t.norm in names}
    for i, tok in enumerate(toks):  # "PERES AND GUR", "NKOMO AND MUGABE", "LEDESMA, NAPURI, SCORZA"
        if i in taken or tok.norm in names or not resolver.unlisted(tok.norm):
            continue
        for j, k in ((i - 2, i - 1), (i + 2, i + 1)):
            if 0 <= j < n and j in known and toks[k].norm == "and":
                if _acronym(resolver, tok.norm):
                    continue
                names.add(tok.norm)
    for i in _signature(text, toks):
        if i not in taken:
            names.add(toks[i].norm)
    i = 0
    while i < n:
        tok = toks[i]
        if i in taken:
            i += 1
            continue
        if tok.norm in names:
            j = i + 1
            while j < n and j not in taken and toks[j].norm in names and toks[j].start - toks[j - 1].end <= 1:
                j += 1
            if (
                i
                and i - 1 not in taken
                and toks[i - 1].norm in resolver.given
                and follows(text, toks, i, resolver.given)
            ):
                i -= 1  # "LUCIEN DAHDAH": the given name is part of the mention
            out.append((i, j, "person"))
            i = j
            continue
        for size in (2, 1) if tok.norm in ROLE_FIRST else ():
            key = tuple(t.norm for t in toks[i : i + size])
            if len(key) == size and key in CABLE_ROLES and not taken.intersection(range(i, i + size)):
                out.append((i, i + size, "person"))
                i += size - 1
                break
        else:
            if GOVERNMENTS.fullmatch(tok.text) and tok.norm not in ENGLISH:
                out.append((i, i + 1, "place"))
            elif resolver.nationals(tok.norm) and not not_country(resolver, toks, i, text):
                out.append((i, i + 1, "place"))
            elif tok.text == "US" and follows(text, toks, i, {"the"}):
                out.append((i, i + 1, "place"))  # "RETURN TO THE US": the country, not "us"
            elif tok.norm in STATE_NOUNS or (tok.norm == "country" and follows(text, toks, i, DEFINITE)):
                prev = toks[i - 1].norm if i else ""
                nxt = toks[i + 1].norm if i + 1 < n else ""
                if prev not in INDEFINITE and nxt not in ("official", "officials"):
                    out.append((i, i + 1, "place"))
        i += 1
    return out
