"""Place and organisation gazetteers from what the corpus offers, plus hand-kept variants.

Places: FRUS dateline cities (`frus/dates-project/cities-master.xml`), the History Lab
ontology (`cfpf-ner/ontology/*.onto`: countries, regions, states, nationalities, organisations,
grouped by their wiki URL) and POCOM territories. Historical spellings that name one place
(Chungking = Chongqing, Peking = Peiping = Beijing) are merged by `PLACE_VARIANTS`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from lxml import etree

from chancery.authority.names import normalize, slug

# Preferred (modern) name first; every spelling names the same place.
PLACE_VARIANTS: list[list[str]] = [
    ["Chongqing", "Chungking", "Chung-king"],
    ["Beijing", "Peking", "Peiping", "Pekin"],
    ["Guangzhou", "Canton"],
    ["Nanjing", "Nanking"],
    ["Shenyang", "Mukden"],
    ["Xi'an", "Sian", "Hsian"],
    ["Tianjin", "Tientsin"],
    ["Taipei", "Taihoku"],
    ["Yan'an", "Yenan"],
    ["Mumbai", "Bombay"],
    ["Chennai", "Madras"],
    ["Kolkata", "Calcutta"],
    ["Ho Chi Minh City", "Saigon"],
    ["Saint Petersburg", "St. Petersburg", "Leningrad", "Petrograd"],
    ["Volgograd", "Stalingrad"],
    ["Istanbul", "Constantinople"],
    ["Ankara", "Angora"],
    ["Tehran", "Teheran"],
    ["Yangon", "Rangoon"],
    ["Gdansk", "Danzig"],
    ["Soviet Union", "USSR", "U.S.S.R.", "Union of Soviet Socialist Republics", "Soviet Russia"],
    ["United States", "United States of America", "U.S.A.", "USA", "U.S.", "America"],
    ["United Kingdom", "Great Britain", "Britain", "U.K.", "UK", "England"],
    ["China", "People's Republic of China", "PRC", "Chinese People's Republic"],
    ["Taiwan", "Formosa", "Republic of China"],
    ["Iran", "Persia"],
    ["Thailand", "Siam"],
    ["Sri Lanka", "Ceylon"],
    ["Myanmar", "Burma"],
    ["Democratic Republic of the Congo", "Zaire", "Congo-Kinshasa"],
    ["Germany", "Federal Republic of Germany", "West Germany", "FRG"],
    ["German Democratic Republic", "East Germany", "GDR"],
    ["Washington", "Washington, D.C.", "Washington D.C."],
]

# A few organisations frequent in diplomatic papers, as (preferred name, variants).
ORGANIZATIONS: list[tuple[str, list[str]]] = [
    ("Department of State", ["State Department", "Dept of State", "Department"]),
    ("Foreign Office", ["British Foreign Office", "FO"]),
    ("Kuomintang", ["KMT", "Guomindang", "Nationalist Party"]),
    ("Chinese Communist Party", ["CCP", "Chinese Communists"]),
    ("United Nations", ["UN", "U.N.", "United Nations Organization", "UNO"]),
    ("North Atlantic Treaty Organization", ["NATO"]),
    ("White House", []),
    ("Joint Chiefs of Staff", ["JCS"]),
    ("National Security Council", ["NSC"]),
    ("Central Intelligence Agency", ["CIA"]),
    ("Red Army", []),
    ("Security Council", ["UN Security Council", "United Nations Security Council"]),
    ("European Economic Community", ["EEC", "Common Market"]),
    ("Warsaw Pact", ["Warsaw Treaty Organization"]),
]

ONTO_TYPES = {  # ontology type prefix -> entity type
    "entity/georegion": "place",
    "entity/organization": "organization",
    "entity/government": "organization",
}


class Gazetteer:
    """Collects place and organisation names, merging those that name the same thing."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}  # key -> {"type", "names": [...], "sources"}
        self.by_name: dict[tuple[str, str], str] = {}  # (type, normalised name) -> key

    def add(self, type: str, names: list[str], source: str, key: str | None = None) -> str | None:
        names = [n.strip() for n in names if n and n.strip() and normalize(n)]
        if not names:
            return None
        known = [self.by_name[(type, normalize(n))] for n in names if (type, normalize(n)) in self.by_name]
        key = known[0] if known else key or f"{type}:{slug(names[0])}"
        group = self.groups.setdefault(key, {"type": type, "names": [], "sources": []})
        for name in names:
            if name not in group["names"]:
                group["names"].append(name)
            self.by_name.setdefault((type, normalize(name)), key)
        if source not in group["sources"]:
            group["sources"].append(source)
        return key

    def entities(self) -> list[dict[str, Any]]:
        out = []
        for key, group in self.groups.items():
            ent_id = ("place:" if group["type"] == "place" else "organization:") + key.split(":", 1)[1]
            out.append(
                {
                    "id": ent_id,
                    "type": group["type"],
                    "name": group["names"][0],
                    "variants": group["names"][1:],
                    "description": None,
                    "birth": None,
                    "death": None,
                    "sources": group["sources"],
                    "offices": [],
                }
            )
        return out


def add_hand_lists(gaz: Gazetteer) -> None:
    for names in PLACE_VARIANTS:
        gaz.add("place", names, "chancery:place-variants", key=f"place:{slug(names[0])}")
    for name, variants in ORGANIZATIONS:
        gaz.add("organization", [name, *variants], "chancery:organizations", key=f"organization:{slug(name)}")


def load_cities(path: str | Path, gaz: Gazetteer, warnings: list[str]) -> int:
    """Dateline place names of the FRUS dates project (`<cities><city>…`)."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        warnings.append(f"cities: {path}: {exc}")
        return 0
    n = 0
    for node in root.iter("city"):
        if (node.text or "").strip():
            gaz.add("place", [node.text.strip()], "frus:dateline-cities")
            n += 1
    return n


def load_ontology(path: str | Path, gaz: Gazetteer, warnings: list[str]) -> int:
    """History Lab `.onto` files: blocks of name / `types:` / `metadata:wikiurl:` lines."""
    files = sorted(Path(path).glob("*.onto")) if Path(path).is_dir() else [Path(path)]
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for file in files:
        if file.stem in ("ignore", "occupations", "titles"):
            continue
        for block in file.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            lines = [line.strip() for line in block.strip().splitlines()]
            if len(lines) < 2 or not lines[1].startswith("types:"):
                if block.strip():
                    warnings.append(f"ontology: {file.name}: unreadable entry {block.strip()[:60]!r}")
                continue
            kinds = [ONTO_TYPES[k] for k in ONTO_TYPES if k in lines[1]]
            if not kinds:
                continue
            wiki = next((x.split("wikiurl:", 1)[1] for x in lines[2:] if "wikiurl:" in x), None)
            synonym = next(
                (t.split("/", 1)[1] for t in lines[1][6:].split(", ") if t.startswith("synonym/")), None
            )
            group = wiki or synonym or lines[0]
            groups[(kinds[0], group)].append(lines[0])
    for (kind, group), names in groups.items():
        preferred = group.replace("_", " ") if not group.startswith("http") else names[0]
        if kind == "place" and any(
            ("organization", normalize(n)) in gaz.by_name for n in (preferred, *names)
        ):
            continue  # the ontology files "UNITED NATIONS" among countries; the hand list knows better
        gaz.add(kind, [preferred, *names], f"cfpf-ner:ontology:{group}")
    return len(groups)


def add_territories(territories: set[str], gaz: Gazetteer) -> None:
    for name in sorted(territories):
        gaz.add("place", [name], "pocom:territory")
