"""gpiohil on a labgrid target: the QEMU tier's guest (env-qemu.yaml) or a
real rig (env-rig.yaml). Power the target to its shell, deliver gpiohil
where the environment says to, run lab/guest/gpiohil-lab-run there once
(the cdev kernel tests on the QEMU guest, gpiohil check, a latency bench),
bring its results back through the console; then one pytest test per
gpiohil spec (test_spec[ID], the IDs listed before the boot by conftest.py),
one for the kernel tests, and test_run for the whole, which fails naming
every spec that failed.

Run through lab/labgrid/run.sh, or:
  /usr/bin/python3 -m pytest --lg-env env-qemu.yaml lab/labgrid/test_gpiohil.py

Environment: GPIOHIL_FIXTURE overrides the environment's gpiohil_fixture
option; GPIOHIL_LG_OUT is where the results land (default
vm-out/lab/labgrid/results); LG_PLACE, when labgrid-client reserved the
place, is passed on so that gpiohil's rig lock names the place holding it.
"""
import os
import shlex
import sys
import xml.etree.ElementTree as ET

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import labresults  # noqa: E402  (lab/labresults.py)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.environ.get("GPIOHIL_LG_OUT", os.path.join(REPO, "vm-out", "lab", "labgrid", "results"))


def option(env, name):
    """The environment's option for the main target, or "" (labgrid takes a
    default of None as no default)."""
    return env.config.get_target_option("main", name, "")


def local(path):
    """An option's path: relative paths are from the repository's root."""
    return path if os.path.isabs(path) else os.path.join(REPO, path)


@pytest.fixture(scope="session")
def shell(target, strategy):
    strategy.transition("shell")  # power on (QEMU: start it), wait for the prompt
    return target.get_driver("ShellDriver")


@pytest.fixture(scope="session")
def runner(env, target, shell):
    """How to run gpiohil-lab-run on the target: as it is on the QEMU guest;
    on a board, after copying the binary, the runner and the fixture there
    over SSH."""
    fixture = os.environ.get("GPIOHIL_FIXTURE") or option(env, "gpiohil_fixture") or "qemu"
    binary = option(env, "gpiohil_binary")
    setting = {"GPIOHIL_FIXTURE": fixture}
    if binary:
        ssh = target.get_driver("SSHDriver")
        ssh.put(local(binary), "/tmp/gpiohil")
        ssh.put(os.path.join(REPO, "lab", "guest", "gpiohil-lab-run"), "/tmp/gpiohil-lab-run")
        shell.run_check("chmod +x /tmp/gpiohil /tmp/gpiohil-lab-run")
        setting["GPIOHIL"] = "/tmp/gpiohil"
        if os.path.exists(local(fixture)):
            ssh.put(local(fixture), "/tmp/rig.yaml")
            setting["GPIOHIL_FIXTURE"] = "/tmp/rig.yaml"
        cmd = "/tmp/gpiohil-lab-run"
    else:
        cmd = "gpiohil-lab-run"
    if os.environ.get("LG_PLACE"):
        setting["GPIOHIL_LOCK_OWNER"] = "labgrid place " + os.environ["LG_PLACE"]
    return " ".join(f"{k}={shlex.quote(v)}" for k, v in setting.items()) + " " + cmd


@pytest.fixture(scope="session")
def run(shell, runner):
    """One run of gpiohil-lab-run on the target, its results brought back:
    the output lines, the exit status, gpiohil's JUnit report and each
    spec's outcome by ID."""
    lines, _, code = shell.run(runner, timeout=1200)
    os.makedirs(OUT, exist_ok=True)
    try:
        labresults.unpack(lines, OUT)
        _, rest = labresults.split_block(lines)
    except labresults.BlockError as e:
        pytest.fail(f"{e}:\n" + "\n".join(lines[-40:]))
    with open(os.path.join(OUT, "run.log"), "w") as f:  # the output, less the results block
        f.write("\n".join(rest) + "\n")
    junit = os.path.join(OUT, "junit.xml")
    if not os.path.exists(junit):
        pytest.fail("gpiohil check wrote no junit.xml:\n" + "\n".join(lines[-40:]))
    root = ET.parse(junit).getroot()
    specs = {}
    for tc in root.iter("testcase"):
        ident = next((p.get("value") for p in tc.iter("property") if p.get("name") == "gpiohil.id"), None)
        if ident is None:
            continue  # suite set-up that worked
        why = next((e.get("message") or (e.text or "") for e in tc if e.tag in ("failure", "error", "skipped")), "")
        specs[ident] = (tc.get("status"), why)
    return {"lines": lines, "code": code, "junit": root, "specs": specs}


def test_spec(run, spec):
    """One gpiohil spec, as the target's run reported it."""
    if spec not in run["specs"]:
        pytest.fail(f"the run did not report spec {spec} (results in {OUT})")
    status, why = run["specs"][spec]
    if status in ("skipped", "pending"):
        pytest.skip(why or "skipped")
    if status != "passed":
        pytest.fail(f"{spec} {status}: {why}", pytrace=False)


def test_kernel_cdev(run):
    """The cdev kernel tests, where the target has them (the QEMU guest)."""
    marker = [line for line in run["lines"] if line.startswith("GPIOHIL-SPEC cdev-kernel-tests ")]
    if not marker:
        pytest.skip("the target has no cdev kernel tests (only the QEMU guest does)")
    assert marker[0].split()[2] == "pass", f"the cdev kernel tests failed (results in {OUT}/cdev-tests.out)"


def test_run(run, spec_list, record_testsuite_property):
    """The run as a whole: it reported exactly the listed specs, every spec
    passed, and the bench ran; gpiohil's rig, tier and measurement
    properties go onto the test suite of pytest's own JUnit report."""
    suite = run["junit"].find("testsuite")
    for prop in suite.find("properties") if suite is not None else []:
        if prop.get("name", "").startswith("gpiohil."):
            record_testsuite_property(prop.get("name"), prop.get("value"))
    unlisted = sorted(set(run["specs"]) - set(spec_list))
    assert not unlisted, f"the run reported specs gpiohil check --list did not: {unlisted}"
    failed = sorted(i for i, (status, _) in run["specs"].items() if status not in ("passed", "skipped", "pending"))
    assert not failed, f"failed specs: {', '.join(failed)} (results in {OUT})"
    assert run["code"] == 0, "\n".join(run["lines"][-40:])

