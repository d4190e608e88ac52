"""Name normalisation and spelling variants shared by the authority loaders and the resolver.

`normalize("Chiang Kai-shek")` gives "chiang kai shek": accents folded, case folded, punctuation
and hyphens become single spaces. Every lookup key in the authority index is a normalised name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
_PAREN = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")

# Words that precede or follow a name without being part of it (honorifics, ranks, offices).
TITLES = frozenset(
    """mr mrs miss ms dr sir lord lady madame madam mme mlle monsieur senor senora herr frau
    general generalissimo marshal admiral colonel col major captain capt lieutenant lt sergeant
    commander commodore brigadier gen adm field vice rear air chief premier president prime
    minister ambassador secretary senator congressman representative governor judge justice
    king queen prince princess emperor empress shah sultan emir sheikh pope cardinal archbishop
    bishop father reverend rev count countess baron duke marquis professor prof his her
    excellency highness majesty honorable hon deputy acting under assistant foreign chairman
    jr sr""".split()
)

# Capitalised words that are also ordinary English (sentence starts, months, headings):
# a surname alone equal to one of these needs strong evidence before it is linked.
COMMON_WORDS = frozenset(
    """a an the and or but if of in on at to for from by with as is was be he she it we they i
    you this that these those there here then than his her its our their my your me him us them
    who what which when where why how all any some no not yes one two three four five six seven
    eight nine ten first second third new old good great long little may might will would shall
    should can could must do did does done have has had am are were been being so such very
    january february march april june july august september october november december monday
    tuesday wednesday thursday friday saturday sunday god lord church state states union
    government department office embassy mission committee council army navy air force general
    note notes see also ibid page document documents telegram memorandum letter despatch
    dispatch message file files paraphrase cable cables secret top confidential restricted unclassified
    personal urgent priority immediate copy subject reference ref regards sincerely signed
    english french german russian chinese japanese american british soviet north south east
    west central white black brown green young king bell hope rich wise power strong short
    small little love day days week month year years time hand head law mark bill will rose
    bishop church cook hall hill wood stone field fields lane park ford bush may lee long
    marshal major""".split()
)


def fold(text: str) -> str:
    """Strip accents and unify apostrophes, keeping case."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 18)
def normalize(name: str) -> str:
    """Lookup form of a name: folded, lower case, punctuation and hyphens as single spaces.

    Cached: the same names and text words come back all the time. ASCII text needs no folding
    (apostrophes and accents only matter outside ASCII).
    """
    if name.isascii():
        return " ".join(_NON_WORD.sub(" ", name.lower()).split())
    return " ".join(_NON_WORD.sub(" ", fold(name).lower()).split())


def slug(name: str) -> str:
    return normalize(name).replace(" ", "-")


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def strip_titles(name: str) -> str:
    """Drop leading honorifics ("Marshal", "Generalissimo") from a direct-order name."""
    words = name.split()
    while len(words) > 1 and normalize(words[0]) in TITLES:
        words = words[1:]
    return " ".join(words)


def is_title_only(name: str) -> bool:
    toks = tokens(name)
    return not toks or all(t in TITLES or t in {"of", "the", "and", "soviet", "union"} for t in toks)


def split_inverted(name: str) -> tuple[str, str]:
    """("Harriman", "William Averell") from "Harriman, William Averell"; ("", name) if direct."""
    name = _PAREN.sub("", name).strip().strip(",")
    if "," not in name:
        return "", name
    surname, _, rest = name.partition(",")
    rest = rest.strip()
    if {normalize(w) for w in rest.split()} & {"madame", "mrs", "mme", "lady", "senora", "frau", "wife"}:
        return "", ""  # "Chiang Kai-shek, Madame" names his wife, not him
    # "Stalin, Generalissimo Iosif V." / "Chiang Kai-shek, Generalissimo": titles are not names.
    words = [w.rstrip(",") for w in rest.split() if normalize(w) not in TITLES]
    words = [w for w in words if w and normalize(w) not in SUFFIXES]
    return surname.strip(), " ".join(words)


SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def name_suffix(name: str) -> str:
    """The generational suffix of a name ("Jr.", "Sr.", "II", "III", "IV"), or ""."""
    _, _, rest = _PAREN.sub("", name).partition(",")
    return next((w.strip(",") for w in rest.split() if normalize(w) in SUFFIXES), "")


def direct_order(name: str) -> str:
    """ "Harriman, William Averell" -> "William Averell Harriman"; direct names stay as they are.

    A generational suffix follows the surname: "Roosevelt, Franklin D., Jr." -> "Franklin D.
    Roosevelt Jr." (father and son must not share a display name).
    """
    surname, forenames = split_inverted(name)
    if not surname and not forenames and "," in name:  # "Sawyer, Mrs. Charles": a wife's name
        last, _, rest = _PAREN.sub("", name).partition(",")
        return " ".join(f"{rest.strip()} {last.strip()}".split())
    if not surname:
        return strip_titles(forenames)
    return " ".join(p for p in (forenames, surname, name_suffix(name)) if p)


def person_variants(name: str) -> tuple[set[str], str | None]:
    """Full-name spellings of one recorded name, and its surname if known.

    "Harriman, William Averell" gives William Averell Harriman, W. A. Harriman, William Harriman,
    W. Harriman, Averell Harriman (a middle name used alone) and the surname "Harriman".
    """
    surname, forenames = split_inverted(name)
    out: set[str] = set()
    if not surname:
        direct = strip_titles(forenames)
        if not is_title_only(direct):
            out.add(direct)
        return out, None
    if is_title_only(surname):
        return out, None
    if not forenames:  # "Chiang Kai-shek, Generalissimo": a direct name with a title after it
        return {surname}, surname if len(tokens(surname)) == 1 else None
    given = [w for w in re.split(r"[\s.]+", forenames) if w]
    out.add(f"{forenames} {surname}" if forenames else surname)
    if given:
        initials = " ".join(g[0] + "." for g in given)
        out.add(f"{initials} {surname}")
        out.add(f"{given[0]} {surname}")
        out.add(f"{given[0][0]}. {surname}")
        if (
            len(given[0]) == 1 and len(given) > 1 and len(given[1]) > 1
        ):  # "W. Averell Harriman" -> "Averell Harriman"
            out.add(f"{given[1]} {surname}")
    return {v for v in out if not is_title_only(v)}, surname
