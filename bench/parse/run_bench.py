#!/usr/bin/env python3
"""Parse benchmark: lines/s per core and ns/line for each format, against a
baseline measured in the same run on the same files.

For each corpus (generated once with gen_corpus.py, kept in bench/results/parse/):
  * bench_parse (C, one core): parse + JSON encode of every line from memory,
    then parse only; and its in-process baseline, read()+count of the file;
  * `wc -l FILE` and `logrelay parse --format F FILE > /dev/null`: the whole
    command, for a user's view of the same ratio.
Each measurement is repeated (--reps) and the best run is reported: on a
shared machine the fastest run is the one least disturbed by others.

Usage: bench/parse/run_bench.py [--build build] [--count 200000] [--seconds 2] [--reps 3]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def corpus(path, fmt, count, extra):
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--format", fmt, "--count",
                        str(count), "--seed", "1", "-o", path, *extra], check=True)
    with open(path, "rb") as f:
        data = f.read()
    return data.count(b"\n"), len(data)


def kv(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def bench_parse(exe, fmt, path, seconds, extra):
    p = subprocess.run([exe, "--format", fmt, "--seconds", str(seconds), *extra, path], capture_output=True,
                       text=True, check=True)
    base, run = (kv(x) for x in p.stdout.strip().split("\n"))
    return float(run["lines_per_s"]), float(base["lines_per_s"]), float(run["best_pass_lines_per_s"])


def timed(cmd, stdout=subprocess.DEVNULL):
    t0 = time.perf_counter()
    r0 = os.times()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    r1 = os.times()
    return time.perf_counter() - t0, (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("LR_BUILD", os.path.join(SRC, "build")))
    ap.add_argument("--count", type=int, default=200000, help="cdn_access lines (other corpora scale from it)")
    ap.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per bench_parse measurement")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", help="comma-separated corpus names")
    args = ap.parse_args()
    exe = os.path.join(args.build, "tests", "bench_parse")
    logrelay = os.path.join(args.build, "logrelay")
    for x in (exe, logrelay):
        if not os.access(x, os.X_OK):
            sys.exit("missing %s: build first (cmake --build %s)" % (x, args.build))
    out_dir = os.path.join(SRC, "bench", "results", "parse")
    os.makedirs(out_dir, exist_ok=True)

    n = args.count
    cases = [  # name, format, corpus file, generator args, lines, bench options
        ("cdn_access", "cdn_access", "cdn_access.log", [], n, []),
        ("cdn_main", "cdn_access", "cdn_main.log", ["--layouts", "main"], n // 4, []),
        ("cdn_vod", "cdn_access", "cdn_vod.log", ["--layouts", "vod"], n // 4, []),
        ("cdn_vod_nocountry", "cdn_access", "cdn_vod_nocountry.log", ["--layouts", "vod_nocountry"], n // 4, []),
        ("waf_json", "waf_json", "waf_json.jsonl", [], n // 10, []),
        ("waf_json_array", "waf_json", "waf_array.jsonl", ["--waf-array"], n // 10, []),
        ("json", "json", "json.jsonl", [], n // 2, []),
        ("raw", "raw", "cdn_access.log", [], n, []),
    ]
    if args.only:
        keep = set(args.only.split(","))
        cases = [c for c in cases if c[0] in keep]

    print("%-18s %8s %12s %9s %12s %9s %12s %7s %12s %12s" % (
        "corpus", "B/line", "parse+enc/s", "ns/line", "parse-only/s", "ns/line", "baseline/s", "ratio",
        "cli lines/s", "wc -l/s"))
    for name, fmt, fname, gen_args, count, opts in cases:
        path = os.path.join(out_dir, fname)
        gen_fmt = "cdn_access" if fmt in ("cdn_access", "raw") else fmt
        lines, size = corpus(path, gen_fmt, count, gen_args)
        runs = [bench_parse(exe, fmt, path, args.seconds, opts) for _ in range(args.reps)]
        only = [bench_parse(exe, fmt, path, args.seconds, opts + ["--no-encode"])[0] for _ in range(args.reps)]
        best, base = max(r[0] for r in runs), max(r[1] for r in runs)
        cli = min(timed([logrelay, "parse", "-q", "--format", fmt, path])[1] for _ in range(args.reps))
        wc = min(timed(["wc", "-l", path])[0] for _ in range(args.reps))
        print("%-18s %8.0f %12.0f %9.1f %12.0f %9.1f %12.0f %7.1f %12.0f %12.0f" % (
            name, size / lines, best, 1e9 / best, max(only), 1e9 / max(only), base, base / best,
            lines / cli, lines / wc))
        sys.stdout.flush()
        if args.reps > 1:
            med = statistics.median(r[0] for r in runs)
            print("%-18s %8s %12.0f %9.1f   (median of %d)" % ("", "", med, 1e9 / med, args.reps))
        bp = max(r[2] for r in runs)
        print("%-18s %8s %12.0f %9.1f   (fastest pass over the corpus)" % ("", "", bp, 1e9 / bp))
    print("\nparse+enc, parse-only, baseline: bench_parse, lines/s per core (CPU time), best of %d; "
          "ratio = baseline / parse+enc.\ncli: `logrelay parse` to /dev/null, lines per CPU second "
          "(user+sys); wc -l: lines per wall second." % args.reps)


if __name__ == "__main__":
    main()
