"""Run the benchmarks, store their results, and redraw the docs' tables and figures.

    python benchmarks/run_all.py --mnist ../shared/data            # all of them
    python benchmarks/run_all.py --mnist ../shared/data --only conv vae

Each benchmark runs in a fresh process, pinned to ``--threads`` threads, and
replaces its own entry in ``results.json`` (with the command, date, machine,
versions and commit that produced it); entries of the benchmarks not rerun
are kept. Then ``report.py`` redraws every table and figure of the docs and
README's performance sentence from that file.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import report
from _common import MNIST_ENV, RESULTS_FILE

HERE = Path(__file__).parent
# Order of the runs: the ones the docs lead with first.
BENCHMARKS = list(report.SECTIONS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", default=os.environ.get(MNIST_ENV))
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--results", default=str(RESULTS_FILE))
    parser.add_argument("--docs", default=str(report.DOCS_OUT), help="where tables and figures go")
    parser.add_argument("--readme", default=str(report.README), help="'' leaves README alone")
    parser.add_argument("--smoke", action="store_true", help="tiny runs, to check the pipeline")
    args = parser.parse_args(argv)
    stored = Path(args.results).resolve() == RESULTS_FILE.resolve()
    if stored and (args.smoke or not args.mnist):
        parser.error(
            f"{RESULTS_FILE.name} holds full MNIST runs, which a "
            f"{'smoke run' if args.smoke else 'run on digits'} would replace: pass "
            "--mnist PATH without --smoke, or --results OTHER.json"
        )
    if not args.mnist:
        print("MNIST not given (--mnist or $SKLEARN_AE_MNIST): the benchmarks use digits.")
    failed = []
    for name in args.only:
        command = [sys.executable, f"bench_{name}.py", "--threads", str(args.threads)]
        command += ["--save", str(Path(args.results).resolve())]
        command += ["--mnist", str(Path(args.mnist).resolve())] if args.mnist else []
        command += ["--smoke"] if args.smoke else []
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=HERE)
        print(f"== {name}: {time.perf_counter() - start:.0f} s, exit {done.returncode}", flush=True)
        if done.returncode:
            failed.append(name)
    report.main(["--results", args.results, "--out", args.docs, "--readme", args.readme])
    if failed:
        sys.exit(f"failed: {', '.join(failed)} (their previous results, if any, were kept)")


if __name__ == "__main__":
    main()
