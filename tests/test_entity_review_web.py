"""Entity review in the browser (issue 14, done when): Chromium against a real `chancery serve`
on SQLite and on PostgreSQL merges two entities from the entity page and sees the merged page,
rejects a mention from the entity's mention list, splits names off with the split form; then the
JSON API of the judgments."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from conftest import served
from test_change_feed import pg_url  # noqa: F401 (fixture)
from test_entity_review import MOLOTOV, TRUMAN, VYSHINSKY, _run, _sources, db  # noqa: F401 (db: fixture)


# -- the web: Chromium against a real server ---------------------------------------------------
def test_merging_two_entities_from_the_entity_page(db: str, tmp_path: Path, chromium: Any) -> None:  # noqa: F811
    _run(db, "ingest", str(_sources(tmp_path / "src")))
    with served(db, tmp_path / "serve.log") as base:  # type: ignore[arg-type]
        page = chromium.new_page()
        page.goto(f"{base}/entities/{MOLOTOV}")
        assert page.locator("#docs-title").inner_text() == "1 document"
        page.fill("#merge-q", "Vyshinsky")
        page.fill("#merge-note", "same man")
        page.click("#merge-form button[type=submit]")
        page.click("button[aria-label='Merge Andrey Yanuaryevich Vyshinsky into this entity']")
        page.wait_for_selector("li.judgment[data-kind=merge]")
        assert page.url.endswith(f"/entities/{MOLOTOV}")
        line = page.locator("li.judgment[data-kind=merge]").inner_text()
        assert "local" in line and "merged" in line and VYSHINSKY in line and "same man" in line
        assert page.locator("#docs-title").inner_text() == "2 documents"
        # the folded entity's page leads to the merged one
        page.goto(f"{base}/entities/{VYSHINSKY}")
        assert page.url.endswith(f"/entities/{MOLOTOV}")
        # reject a mention from the entity's mention list
        count = page.locator("li.mention").count()
        page.locator("li.mention button[data-judge=reject]").first.click()
        page.wait_for_selector("li.judgment[data-kind=reject]")
        assert page.locator("li.mention").count() == count - 1
        # split Vyshinsky's names off again with the page's form: the new entity's page opens
        boxes = page.locator("#split-form input[type=checkbox][value*=Vyshinsky]")
        assert boxes.count() >= 1
        for i in range(boxes.count()):
            boxes.nth(i).check()
        page.click("#split-form button[type=submit]")
        page.wait_for_url(f"**/entities/{MOLOTOV}:split:*")
        assert "Vyshinsky" in page.locator("h1").inner_text()
        assert page.locator("li.judgment[data-kind=split]").count() == 1
        page.close()
        # the JSON API: set a mention by hand, a refused merge, the list of judgments
        doc = "text/vyshinsky"
        made = _post(
            base,
            "/api/review/mention",
            {"kind": "set", "doc_id": doc, "mention": "Stettinius", "entity_id": TRUMAN},
        )
        assert made["judgments"][0]["target"] == TRUMAN and made["judgments"][0]["mention"]["doc_id"] == doc
        status, error = _post_error(base, "/api/review/merge", {"keep": MOLOTOV, "fold": VYSHINSKY})
        assert status == 400 and "already one entity" in error
        listed = orjson.loads(urllib.request.urlopen(f"{base}/api/review/judgments?doc={doc}").read())
        assert listed["judgments"][-1]["kind"] == "set"
        assert {j["mention"]["doc_id"] for j in listed["judgments"]} == {doc}
        entity = orjson.loads(urllib.request.urlopen(f"{base}/api/entities/{TRUMAN}").read())
        assert [j["kind"] for j in entity["judgments"]] == ["set"]


def _post(base: str, path: str, body: dict[str, Any]) -> Any:
    """A JSON post as a page's script makes it: the CSRF cookie sent back in the X-CSRF-Token header."""
    with urllib.request.urlopen(base + "/") as page:
        cookie = next(c for c in page.headers.get_all("set-cookie") if c.startswith("chancery_csrf="))
    token = cookie.split(";")[0].split("=", 1)[1]
    headers = {"Content-Type": "application/json", "Cookie": f"chancery_csrf={token}", "X-CSRF-Token": token}
    request = urllib.request.Request(base + path, orjson.dumps(body), headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return orjson.loads(response.read())


def _post_error(base: str, path: str, body: dict[str, Any]) -> tuple[int, str]:
    try:
        _post(base, path, body)
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())["error"]["message"]
    raise AssertionError(f"{path} accepted {body}")
