#!/usr/bin/env python3
"""Measures how often the CA3 memory answers as an ideal content-addressable memory.

Generates random operation sequences, runs them with `engram cam`, and compares every
recall with a set-based reference (last content stored per cue; union of cues sharing a bit).
Usage: scripts/ca3_accuracy.py [--engram build/apps/engram] [--seeds 5]
Prints one line per regime: recalls answered exactly / recalls.
"""
import argparse
import json
import os
import random
import subprocess
import tempfile


def run(engram, cue_size, content_size, ops):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"cue_size": cue_size, "content_size": content_size, "operations": ops}, f)
        path = f.name
    try:
        return json.loads(subprocess.check_output([engram, "cam", path]))
    finally:
        os.unlink(path)


def score(ops, answers):
    stored, exact, total = {}, 0, 0
    it = iter(answers)
    for op in ops:
        if op["op"] == "learn":
            stored[op["cue"]] = set(op["content"])
            continue
        got = next(it)
        total += 1
        if op["op"] == "recall_cue":
            exact += set(got["content"]) == stored.get(op["cue"], set())
        else:
            want = {c for c, s in stored.items() if s & set(op["content"])}
            exact += set(got["cues"]) == want
    return exact, total


def sequence(rng, cues, bits, count, spacing, disjoint, single_bit):
    ops, t, current = [], 3, {}
    for i in range(count):
        u = rng.random()
        kind = "learn" if (i < cues // 2 or u < 0.4) else ("recall_cue" if u < 0.7 else "recall_content")
        op = {"t": t, "op": kind}
        if kind != "recall_content":
            op["cue"] = rng.randrange(cues)
        if kind == "learn":
            pool = range(bits)
            if disjoint:
                used = set().union(*[s for c, s in current.items() if c != op["cue"]]) if current else set()
                pool = [b for b in range(bits) if b not in used]
            if not pool:
                op = {"t": t, "op": "recall_cue", "cue": op["cue"]}
            else:
                op["content"] = sorted(rng.sample(list(pool), min(len(pool), 1 + rng.randrange(3))))
                current[op["cue"]] = set(op["content"])
        elif kind == "recall_content":
            op["content"] = sorted(rng.sample(range(bits), 1 if single_bit else 1 + rng.randrange(3)))
        ops.append(op)
        t += spacing if spacing else (7 if op["op"] == "learn" else 6)
    return ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engram", default="build/apps/engram")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    regimes = [
        ("disjoint contents, single-bit fragments, 10 ms apart", True, True, 10),
        ("disjoint contents, single-bit fragments, minimum spacing", True, True, 0),
        ("overlapping contents, single-bit fragments, 10 ms apart", False, True, 10),
        ("overlapping contents, fragments of 1-3 bits, minimum spacing", False, False, 0),
    ]
    print("32 cues x 32 bits, 200 operations per sequence, %d sequences per regime" % args.seeds)
    for name, disjoint, single, spacing in regimes:
        exact = total = 0
        for seed in range(args.seeds):
            ops = sequence(random.Random(seed), 32, 32, 200, spacing, disjoint, single)
            e, n = score(ops, run(args.engram, 32, 32, ops))
            exact, total = exact + e, total + n
        print("%-62s %5d / %5d  (%.1f%%)" % (name, exact, total, 100.0 * exact / total))


if __name__ == "__main__":
    main()
