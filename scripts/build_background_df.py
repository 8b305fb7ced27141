"""Reproduce src/kiemchung/text/data/background_df.json.gz: how many of 2,000 Vietnamese news lines contain
each word (and its folded form), so that the decision's idf features mean the same in a 12-claim archive as
in a large one (matching/lexical.py blends it in for small archives).

    python scripts/build_background_df.py

Source: binhvq/news-corpus sample (Apache-2.0, ../shared/data/vietnamese-news/binhvq-sample): demo-full.txt
and demo-title.txt, 1,000 lines each. Only counts are shipped, not text. Words seen in fewer than 2 lines
are left out (their idf is the same as an unseen word's). English function words are added as if found in
half of the lines (the sample has no English).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import require_shared  # noqa: E402

from kiemchung.matching.lexical import BACKGROUND_DF  # noqa: E402
from kiemchung.text.analysis import analyse  # noqa: E402
from kiemchung.text.language import english_function_words  # noqa: E402

MIN_LINES = 2


def main() -> None:
    lines: list[str] = []
    for name in ("demo-full.txt", "demo-title.txt"):
        path = require_shared("vietnamese-news", "binhvq-sample", name)
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter[str] = Counter()
    for line in lines:
        analysis = analyse(line)
        counts.update({"w:" + w for w in analysis.words} | {"f:" + f for f in analysis.folded})
    df = {feature: n for feature, n in counts.items() if n >= MIN_LINES}
    for word in english_function_words():
        for prefix in ("w:", "f:"):
            df[prefix + word] = max(df.get(prefix + word, 0), len(lines) // 2)
    data = {"documents": len(lines), "df": dict(sorted(df.items()))}
    with gzip.open(BACKGROUND_DF, "wt", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(df)} features from {len(lines)} lines -> {BACKGROUND_DF}")


if __name__ == "__main__":
    main()
