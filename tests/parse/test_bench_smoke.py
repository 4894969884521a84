#!/usr/bin/env python3
"""Smoke run of the parse benchmark (bench/parse): the corpus generator makes
every layout and format, and bench_parse parses all of it without a failure
and reports its figures. Keeps the benchmark from rotting between runs."""
import os
import re
import subprocess
import sys
import tempfile

SRC, BUILD = os.environ["LR_SRC"], os.environ["LR_BUILD"]
GEN = os.path.join(SRC, "bench", "parse", "gen_corpus.py")
BENCH = os.path.join(BUILD, "tests", "bench_parse")


def main():
    with tempfile.TemporaryDirectory(prefix="lr-bench-") as tmp:
        for fmt, gen_args in (("cdn_access", ["--tricky", "0.1"]), ("waf_json", []), ("waf_json", ["--waf-array"]),
                              ("json", [])):
            path = os.path.join(tmp, "corpus")
            subprocess.run([sys.executable, GEN, "--format", fmt, "--count", "2000", "--seed", "3", "-o", path,
                            *gen_args], check=True)
            with open(path, "rb") as f:
                lines = f.read().count(b"\n")
            assert lines == 2000, lines
            out = subprocess.run([BENCH, "--format", fmt, "--seconds", "0.2", path], capture_output=True,
                                 text=True, check=True).stdout
            base, run = (dict(re.findall(r"(\w+)=(\S+)", x)) for x in out.strip().split("\n"))
            passes = int(run["passes"])
            assert int(run["lines"]) == lines * passes, run
            assert int(run["failed"]) == 0, run
            # arrays of 1-3(+1) messages split into more records than lines
            if "--waf-array" in gen_args:
                assert int(run["records"]) > int(run["lines"]), run
            else:
                assert int(run["records"]) == int(run["lines"]), run
            assert float(run["lines_per_s"]) > 0 and float(base["lines_per_s"]) > 0
            print("%-10s %-12s %s lines/s, %s ns/line, ratio to baseline %s" % (
                fmt, " ".join(gen_args), run["lines_per_s"], run["ns_per_line"], run["ratio_to_baseline"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
