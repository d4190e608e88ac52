"""Dates through the product: `quality_product.py --only dates` under its older name.

FRUS documents are ingested from TEI, written as text the way history.state.gov shows them,
ingested again with `chancery ingest` and exported; the export's `date.when` is compared with the
editors' `dateline/date/@when` (see benchmarks/quality_product.py). Other arguments pass through:

    nice -n 10 python benchmarks/dates_quality.py [--side tune|heldout|both] [--frus N] [--json]
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv[1:1] = ["--only", "dates"]
    runpy.run_path(str(Path(__file__).with_name("quality_product.py")), run_name="__main__")
