"""A small archive with one private collection, for the access tests: two FRUS-like volumes (the
public frus9999v01, the private frus9998v02 whose documents carry a marker word) and users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chancery.archive import Archive
from chancery.authority.names import normalize
from chancery.settings import Settings

PUBLIC = "frus9999v01"
PRIVATE = "frus9998v02"
MARKER = "Zanzibarquux"  # a word only the private collection has
PRIVATE_TITLE = "Quuxshire Papers"
GROUP = "fellows"
PASSWORD = "correct horse battery"
# name -> (role, groups): an outsider reader, a member of the private collection's group, an admin
USERS = {
    "rita": ("reader", ()),
    "olga": ("researcher", ()),  # may write, but outside the group
    "sam": ("researcher", (GROUP,)),
    "ada": ("admin", ()),
}

VOLUME = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="{vid}">
  <teiHeader><fileDesc><titleStmt><title type="complete">Foreign Relations of the United States, {title}</title></titleStmt>
  <publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>
  <text><body>
    <div type="compilation" xml:id="comp1"><head>{title} compilation</head>
      <div type="document" xml:id="d1" n="1">
        <note rend="inline" type="source">711.00/1–{year}: Telegram</note>
        <head>The Ambassador in the Soviet Union (<persName type="from">Harriman</persName>) to the <gloss type="to">Secretary of State</gloss></head>
        <opener><dateline><placeName>Moscow</placeName>, <date when="{year}-06-16">June 16, {year}</date></dateline></opener>
        <p>2130. Soong will arrive before July 1. {words}</p>
      </div>
      <div type="document" xml:id="d2" n="2">
        <head>The Secretary of State to the Ambassador in the Soviet Union (<persName type="to">Harriman</persName>)</head>
        <opener><dateline><placeName>Washington</placeName>, <date when="{year}-06-18">June 18, {year}</date></dateline></opener>
        <p>Reply to your <ref target="#d1">2130</ref>. Agreed. {words}</p>
      </div>
    </div>
  </body></text>
</TEI>
"""


CROSS_REFERENCE = f'See <ref target="https://history.state.gov/historicaldocuments/{PRIVATE}/d1">the earlier telegram</ref>.'


def write_volumes(folder: Path, cross_reference: bool = False) -> Path:
    """The two volumes; with `cross_reference`, a public document cites a private one."""
    folder.mkdir(parents=True, exist_ok=True)
    words = "Trieste. " + (CROSS_REFERENCE if cross_reference else "")
    (folder / f"{PUBLIC}.xml").write_text(
        VOLUME.format(vid=PUBLIC, title="9999, Test Volume", year=1945, words=words)
    )
    (folder / f"{PRIVATE}.xml").write_text(
        VOLUME.format(vid=PRIVATE, title=PRIVATE_TITLE, year=1943, words=f"The {MARKER} channel.")
    )
    return folder


def chancery(db: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run the real command line; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "chancery", *args, "--db", db],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


ENTITY = "person:test:harriman"
# What the authority learnt from the private volume's persons list must not show either.
PERSONS_URL = f"https://history.state.gov/historicaldocuments/{PRIVATE}/persons#p_HWA1"


def add_entity(db: str, settings: Settings | None = None) -> None:
    """One authority record (the archive is built without the shipped ones), then re-enrich."""
    entity = {
        "id": ENTITY,
        "type": "person",
        "name": "Harriman, W. Averell",
        "variants": ["Harriman", "Averell Harriman"],
        "sources": [
            "https://history.state.gov/departmenthistory/people/harriman-william-averell",
            PERSONS_URL,
        ],
        "name_sources": {"Harriman": [PERSONS_URL], "Averell Harriman": ["hsg"]},
    }
    names = ["Harriman", "Harriman, W. Averell", "Averell Harriman"]
    with Archive.open(db, settings=settings) as archive:
        archive.store.put_entities([entity], [(normalize(n), ENTITY) for n in names])
        archive.reenrich()


def build(db: str, folder: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """Ingest both volumes, make PRIVATE private to GROUP, add USERS; their API tokens by name."""
    chancery(db, "ingest", str(write_volumes(folder)), env=env)
    add_entity(db)
    chancery(db, "collection", "visibility", PRIVATE, "private", "--group", GROUP, env=env)
    tokens = {}
    for name, (role, groups) in USERS.items():
        options = [x for g in groups for x in ("--group", g)]
        chancery(db, "user", "add", name, "--role", role, *options, stdin=PASSWORD + "\n", env=env)
        tokens[name] = chancery(db, "token", "create", name, env=env).strip()
    return tokens
