"""References through the product: `quality_product.py --only references` under its older name.

FRUS TEI and DFAT volumes of each split side are ingested with `chancery ingest` and exported;
TEI `ref` targets (read from the raw TEI) and DFAT "Document N" links are checked against the
export's links (see benchmarks/quality_product.py). Other arguments pass through:

    nice -n 10 python benchmarks/quality_references.py [--side tune|heldout|both] [--frus N] [--dfat N]
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv[1:1] = ["--only", "references"]
    runpy.run_path(str(Path(__file__).with_name("quality_product.py")), run_name="__main__")
