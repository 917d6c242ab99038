#!/usr/bin/python3
"""Gate on a lava-run log. lava-run exits 0 whenever a job completes, even
when its test cases failed; this reads the results LAVA recorded and exits
non-zero if the job did not pass or any test case failed (LAVA's own
included: a test run that did not finish fails its "lava" case).

It prints every test case (definition, result, name, measurement), then the
counts, then the failed cases. With --artefacts DIR it also brings back what
gpiohil-lab-run printed between GPIOHIL-BEGIN and GPIOHIL-END (a gzipped tar,
base64) into DIR, and writes the target's console, as LAVA logged it, to
DIR/console.log. With --results FILE it writes the test cases as JSON.

Usage: gate.py LAVA-RUN.LOG [--artefacts DIR] [--results FILE]
Exit status: 0 the job passed and no test case failed; 1 otherwise; 2 the
log could not be read."""
import argparse
import collections
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import labresults  # noqa: E402  (lab/labresults.py)


def read_log(path):
    """The log's entries: one YAML flow mapping a line (not strict JSON:
    LAVA writes tags like ! "576" and escapes like \\xB5)."""
    entries = []
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = yaml.load(line, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue  # a line lava-run printed outside its log format
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def target_lines(entries):
    """What the target printed on its console, line by line."""
    for e in entries:
        if e.get("lvl") == "target" and isinstance(e.get("msg"), str):
            yield e["msg"].rstrip("\r\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--artefacts")
    ap.add_argument("--results")
    args = ap.parse_args()
    try:
        entries = read_log(args.log)
    except OSError as e:
        print(f"gate: {e}", file=sys.stderr)
        return 2
    cases, job = [], None
    for e in entries:
        m = e.get("msg")
        if e.get("lvl") == "results" and isinstance(m, dict):
            if m.get("definition") == "lava" and m.get("case") == "job":
                job = m
            cases.append(m)
    for c in cases:
        if c.get("definition") == "lava":
            continue
        extra = f"  {c['measurement']} {c.get('units', '')}" if "measurement" in c else ""
        print(f"  {c.get('definition', '?'):>12} {c.get('result', '?'):4} {c.get('case', '?')}{extra}")
    tests = [c for c in cases if c.get("definition") != "lava"]
    count = collections.Counter(c.get("result") for c in tests)
    print("test cases:", ", ".join(f"{n} {r}" for r, n in sorted(count.items())) or "none")
    if job is None:
        print("job: no result recorded (lava-run did not finish the job)")
    else:
        why = f" ({job['error_msg']})" if job.get("error_msg") else ""
        print(f"job: {job.get('result')}{why}")
    # LAVA's own cases fail too when a test run did not finish
    failed = [c.get("case") for c in cases if c.get("result") == "fail"]
    if failed:
        print("failed test cases:", ", ".join(failed))
    if args.artefacts:
        os.makedirs(args.artefacts, exist_ok=True)
        lines = list(target_lines(entries))
        with open(os.path.join(args.artefacts, "console.log"), "w") as f:
            f.write("\n".join(lines) + "\n")
        try:
            got = labresults.unpack(lines, args.artefacts)
            print(f"artefacts: {len(got)} files from the target in {args.artefacts}")
        except labresults.BlockError as e:
            print(f"artefacts: {e}")
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"job": job, "cases": tests}, f, indent=2, default=str)
    if not tests:
        print("no test case was recorded")
        return 1
    return 0 if job and job.get("result") == "pass" and not failed else 1


sys.exit(main())
