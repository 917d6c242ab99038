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
import base64
import binascii
import collections
import io
import json
import os
import sys
import tarfile

import yaml


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


def bring_back(lines, dest):
    """Unpacks the last GPIOHIL-BEGIN … GPIOHIL-END block into dest; returns
    the names unpacked, or an error string."""
    block, inside, last = [], False, None
    for line in lines:
        if line.endswith("GPIOHIL-BEGIN"):
            block, inside = [], True
        elif line.endswith("GPIOHIL-END") and inside:
            last, inside = block, False
        elif inside:
            block.append(line.strip())
    if last is None:
        return "no GPIOHIL-BEGIN … GPIOHIL-END block on the console"
    try:
        data = base64.b64decode("".join(last), validate=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            for m in members:
                parts = os.path.normpath(m.name).split(os.sep)
                if os.path.isabs(m.name) or ".." in parts:
                    return f"the artefacts block holds a path outside its directory: {m.name}"
            tar.extractall(dest, members=members)
            return [m.name for m in members if m.isfile()]
    except (binascii.Error, tarfile.TarError, OSError) as e:
        return f"the artefacts block did not unpack: {e}"


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
        got = bring_back(lines, args.artefacts)
        if isinstance(got, str):
            print(f"artefacts: {got}")
        else:
            print(f"artefacts: {len(got)} files from the target in {args.artefacts}")
    if args.results:
        with open(args.results, "w") as f:
            json.dump({"job": job, "cases": tests}, f, indent=2, default=str)
    if not tests:
        print("no test case was recorded")
        return 1
    return 0 if job and job.get("result") == "pass" and not failed else 1


sys.exit(main())
