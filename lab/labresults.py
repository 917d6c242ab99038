"""What lab/guest/gpiohil-lab-run prints, read back on the engine's side:
its results directory as a gzipped tar, base64, between the lines
GPIOHIL-BEGIN and GPIOHIL-END. Both engines' scripts use it (lab/lava/gate.py,
lab/labgrid/test_gpiohil.py)."""
import base64
import binascii
import io
import os
import tarfile


class BlockError(Exception):
    """The console holds no results block, or one that does not unpack."""


def split_block(lines):
    """Returns the last results block's lines and the console's other lines.
    A line may carry a prefix before the marker (an engine's timestamp)."""
    block, inside, last, outside = [], False, None, []
    for line in lines:
        if line.endswith("GPIOHIL-BEGIN"):
            block, inside = [], True
        elif line.endswith("GPIOHIL-END") and inside:
            last, inside = block, False
        elif inside:
            block.append(line.strip())
        else:
            outside.append(line)
    if last is None:
        raise BlockError("no GPIOHIL-BEGIN … GPIOHIL-END block on the console")
    return last, outside


def unpack(lines, dest):
    """Unpacks the console's last results block into dest and returns the
    names of the files; refuses a member whose path leaves dest."""
    block, _ = split_block(lines)
    try:
        data = base64.b64decode("".join(block), validate=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            for m in members:
                if os.path.isabs(m.name) or ".." in os.path.normpath(m.name).split(os.sep):
                    raise BlockError(f"the results block holds a path outside its directory: {m.name}")
            tar.extractall(dest, members=members)
    except (binascii.Error, tarfile.TarError, OSError) as e:
        raise BlockError(f"the results block did not unpack: {e}") from e
    return [m.name for m in members if m.isfile()]
