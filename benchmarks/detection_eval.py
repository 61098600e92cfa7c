"""Precision and recall of the personal-data detector on the labelled set of
``benchmarks/detection_labelled.py``. Prints per-kind and overall figures.

    python benchmarks/detection_eval.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.detection_labelled import labelled_set
from catalog.profiling.detection import detect_column


def main() -> None:
    items = labelled_set()
    true_pos: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    personal_tp = personal_pred = personal_actual = 0
    mistakes: list[str] = []
    for item in items:
        found = detect_column(item.name, list(item.values))
        guess = found.kind if found else None
        if guess:
            predicted[guess] += 1
            personal_pred += 1
        if item.kind:
            actual[item.kind] += 1
            personal_actual += 1
        if guess and item.kind:
            personal_tp += 1
        if guess and guess == item.kind:
            true_pos[guess] += 1
        elif guess != item.kind:
            mistakes.append(f"  {item.name!r}: labelled {item.kind}, detected {guess}")
    negatives = sum(1 for i in items if i.kind is None)
    print(f"labelled columns: {len(items)} ({sum(actual.values())} personal in 8 kinds, {negatives} not personal)")
    print(f"{'kind':16} {'precision':>9} {'recall':>7} {'support':>8}")
    for kind in sorted(actual):
        precision = true_pos[kind] / predicted[kind] if predicted[kind] else 0.0
        recall = true_pos[kind] / actual[kind]
        print(f"{kind:16} {precision:9.3f} {recall:7.3f} {actual[kind]:8d}")
    micro_p = sum(true_pos.values()) / max(sum(predicted.values()), 1)
    micro_r = sum(true_pos.values()) / max(sum(actual.values()), 1)
    print(f"{'all kinds (micro)':16} {micro_p:9.3f} {micro_r:7.3f} {sum(actual.values()):8d}")
    print(
        f"{'personal or not':16} {personal_tp / max(personal_pred, 1):9.3f} "
        f"{personal_tp / max(personal_actual, 1):7.3f} {personal_actual:8d}"
    )
    if mistakes:
        print(f"errors ({len(mistakes)}):")
        print("\n".join(mistakes))


if __name__ == "__main__":
    main()
