#!/usr/bin/python3
"""Render a LAVA device dictionary into the device configuration lava-run
reads. lava-run carries no device-type templates: they ship in lava-server,
whose package lab/lava/run.sh downloads and unpacks (never installs).

Usage: render.py TEMPLATES_DIR DICTIONARY.jinja2 [NAME=VALUE ...] > DEVICE.yaml
Each NAME=VALUE replaces @NAME@ in the dictionary before rendering."""
import os
import sys

import jinja2
import yaml


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    templates, dictionary = sys.argv[1], sys.argv[2]
    with open(dictionary) as f:
        source = f.read()
    for pair in sys.argv[3:]:
        name, _, value = pair.partition("=")
        source = source.replace("@" + name + "@", value)
    here = os.path.dirname(os.path.abspath(dictionary))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([here, os.path.join(here, "..", "device-types"), templates]),
        trim_blocks=True, autoescape=False)
    out = env.from_string(source).render()
    try:
        yaml.safe_load(out)
    except yaml.YAMLError as e:
        sys.exit(f"render.py: {dictionary} rendered to invalid YAML: {e}")
    sys.stdout.write(out)


main()
