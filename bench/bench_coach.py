"""Coach benchmark: accuracy on the labelled sets, speed per call, throughput of run_jsonl.

Run: .venv/bin/python -m bench.bench_coach   (the last line is one JSON object)
Targets: median < 0.5 ms, p99 < 2 ms per sentence; a 4,096-character message < 10 ms.
"""

from __future__ import annotations

import io
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from bot.coach.cli import run_jsonl
from bot.coach.engine import coach
from bot.coach.safety import screen

ROOT = Path(__file__).resolve().parents[1]
COACH_DATA = ROOT / "tests" / "data" / "coach_labelled.jsonl"
SAFETY_DATA = ROOT / "tests" / "data" / "safety_labelled.jsonl"
MIN_CALLS = 20_000


def _load(path: Path) -> list[dict[str, str]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


def _pct(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1e6


def main() -> dict[str, object]:
    rows = _load(COACH_DATA)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    good_said = good_right = 0
    for r in rows:
        verdict = coach(r["tool"], r["text"]).verdict  # also warms the caches
        total[r["tool"]] += 1
        right[r["tool"]] += verdict == r["label"]
        if verdict == "good":
            good_said += 1
            good_right += r["label"] == "good"
    per_tool = {t: round(right[t] / total[t], 4) for t in sorted(total)}
    accuracy = sum(right.values()) / len(rows)
    precision = good_right / good_said if good_said else 0.0

    srows = _load(SAFETY_DATA)
    pos = [r for r in srows if r["category"]]
    neg = [r for r in srows if not r["category"]]
    recall = sum(screen(r["text"]) is not None for r in pos) / len(pos)
    fpr = sum(screen(r["text"]) is not None for r in neg) / len(neg)

    # Per-sentence speed: the labelled set (texts <= 300 chars, i.e. one chat reply),
    # repeated until at least MIN_CALLS calls.
    short = [(r["tool"], r["text"]) for r in rows if len(r["text"]) <= 300]
    reps = -(-MIN_CALLS // len(short))
    times: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(reps):
        for tool, text in short:
            t0 = clock()
            coach(tool, text)
            times.append(clock() - t0)
    times.sort()

    base = "I feel lonely when you work late, and I think we should talk about it soon. "
    long_text = (base * (4096 // len(base) + 1))[:4096]
    long_times: list[int] = []
    for k in range(50):
        tool = ("drop_in", "move_in", "shift_in", "dig_in", "tune_in", "check_in")[k % 6]
        t0 = clock()
        coach(tool, long_text)
        long_times.append(clock() - t0)

    lines = "".join(json.dumps({"tool": t, "text": x}) + "\n" for t, x in short) * 10
    n_lines = len(short) * 10
    t0 = clock()
    run_jsonl(io.StringIO(lines), io.StringIO())
    lines_per_s = n_lines / ((clock() - t0) / 1e9)

    figures: dict[str, object] = {
        "accuracy_per_tool": per_tool,
        "accuracy": round(accuracy, 4),
        "precision_good": round(precision, 4),
        "safety_recall": round(recall, 4),
        "safety_fpr": round(fpr, 4),
        "calls": len(times),
        "median_ms": round(statistics.median(times) / 1e6, 4),
        "p99_ms": round(_pct(times, 0.99), 4),
        "long_4096_median_ms": round(statistics.median(long_times) / 1e6, 3),
        "jsonl_lines_per_s": round(lines_per_s),
    }
    for tool, acc in per_tool.items():
        print(f"accuracy {tool:9s} {acc:.3f}")
    print(f"accuracy overall    {accuracy:.3f}  (n={len(rows)})")
    print(f"precision of good   {precision:.3f}")
    print(f"safety recall       {recall:.3f}  false-positive rate {fpr:.3f}")
    print(
        f"per call            median {figures['median_ms']} ms  p99 {figures['p99_ms']} ms"
        f"  over {len(times)} calls"
    )
    print(f"4096-char message   median {figures['long_4096_median_ms']} ms (50 runs)")
    print(f"run_jsonl           {figures['jsonl_lines_per_s']} lines/s")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
