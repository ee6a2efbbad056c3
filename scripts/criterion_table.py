"""Print the medians of every Criterion benchmark under a directory as a
Markdown table (name, median, 95 % interval of the median)."""

import json
import pathlib
import sys


def fmt(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main(root: str) -> None:
    rows = []
    for path in sorted(pathlib.Path(root).glob("**/new/estimates.json")):
        name = str(path.parent.parent.relative_to(root))
        median = json.loads(path.read_text())["median"]
        ci = median["confidence_interval"]
        rows.append((name, median["point_estimate"], ci["lower_bound"], ci["upper_bound"]))
    print("| benchmark | median | 95 % interval |")
    print("|---|---|---|")
    for name, mid, lo, hi in rows:
        print(f"| `{name}` | {fmt(mid)} | {fmt(lo)} – {fmt(hi)} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
