"""Makes one pytest test of each gpiohil spec: before the target boots, the
host's gpiohil lists the specs the fixture selects (gpiohil check --list),
and test_spec is parametrized with their IDs.

The host lists with GPIOHIL_HOST_BIN (default: go run ./cmd/gpiohil) and
GPIOHIL_HOST_FIXTURE, else the fixture the target runs (GPIOHIL_FIXTURE,
else the environment's gpiohil_fixture option) when the host can read it
too: an embedded name or a path in the repository."""
import functools
import os
import subprocess

import pytest
from labgrid import Environment

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def target_fixture(config):
    """The fixture the target runs: GPIOHIL_FIXTURE, else the environment's
    gpiohil_fixture option, else qemu."""
    if os.environ.get("GPIOHIL_FIXTURE"):
        return os.environ["GPIOHIL_FIXTURE"]
    env = config.option.lg_env or os.environ.get("LG_ENV")
    if env:
        return Environment(config_file=env).config.get_target_option("main", "gpiohil_fixture", "") or "qemu"
    return "qemu"


def spec_ids(config):
    return listing(os.environ.get("GPIOHIL_HOST_FIXTURE") or target_fixture(config))


@functools.cache
def listing(fixture):
    """The IDs of the specs fixture selects, as the host's gpiohil lists them."""
    cmd = [os.environ["GPIOHIL_HOST_BIN"]] if os.environ.get("GPIOHIL_HOST_BIN") else ["go", "run", "./cmd/gpiohil"]
    done = subprocess.run(cmd + ["check", "--list", "--fixture", fixture], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"gpiohil check --list --fixture {fixture}: {done.stderr.strip()}")
    return [line.split("\t", 1)[0] for line in done.stdout.splitlines() if line]


def pytest_generate_tests(metafunc):
    if "spec" in metafunc.fixturenames:
        ids = spec_ids(metafunc.config)
        metafunc.parametrize("spec", ids, ids=ids)


@pytest.fixture(scope="session")
def spec_list(request):
    """The spec IDs the host listed."""
    return spec_ids(request.config)
