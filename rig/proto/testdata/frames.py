#!/usr/bin/env python3
"""An implementation of PROTOCOL.md's framing written from the document
alone, independent of rig/proto: it prints the example frames of
PROTOCOL.md's "Example frames" table. TestWireExamples checks rig/proto
against the table. CRC: Python's binascii.crc_hqx is CRC-16/CCITT with a
given initial value (0xFFFF here = CCITT-FALSE)."""
import binascii
import struct

VERSION = 2


def cobs(raw):
    out, run = bytearray(), bytearray()
    for b in raw:
        if b == 0:
            out += bytes([len(run) + 1]) + run
            run = bytearray()
            continue
        run.append(b)
        if len(run) == 254:
            out += bytes([255]) + run
            run = bytearray()
    out += bytes([len(run) + 1]) + run
    return bytes(out)


def frame(typ, seq, payload=b""):
    raw = bytes([VERSION, typ, seq]) + payload
    raw += struct.pack("<H", binascii.crc_hqx(raw, 0xFFFF))
    return cobs(raw) + b"\x00"


NAME = "pico".encode()
EXAMPLES = [
    ("Sync", 1, 0x0B, struct.pack("<I", 0x12345678)),
    ("Synced", 1, 0x4B, struct.pack("<I", 0x12345678)),
    ("Identify", 2, 0x01, b""),
    ("IdentifyResp", 2, 0x41, struct.pack("<BBBBIBHB", 2, 0, 2, 0, 1000000, 23, 0x7F, len(NAME)) + NAME),
    ("Ping", 3, 0x02, struct.pack("<I", 0xCAFE)),
    ("Ping heartbeat", 0, 0x02, struct.pack("<I", 0)),
    ("Pong", 3, 0x42, struct.pack("<IQ", 0xCAFE, 123456789)),
    ("SetPin", 7, 0x03, struct.pack("<BBB", 3, 2, 0)),
    ("Ack", 7, 0x40, b""),
    ("ReadPins", 8, 0x04, b""),
    ("Pins", 8, 0x44, struct.pack("<Q", 0b1001)),
    ("Pulse", 9, 0x05, struct.pack("<BBIIH", 4, 1, 100, 300, 5)),
    ("Arm", 10, 0x06, struct.pack("<QB", 1 << 2, 3)),
    ("Disarm", 11, 0x07, struct.pack("<QB", 1 << 2, 0)),
    ("Probe", 12, 0x08, struct.pack("<BBBBQI", 0, 1, 1, 3, 0, 1000000)),
    ("ReadClock", 5, 0x09, b""),
    ("Clock", 5, 0x49, struct.pack("<Q", 1 << 32)),
    ("Reset", 13, 0x0A, b""),
    ("Nak", 14, 0x5F, struct.pack("<B", 3)),
    ("Edge", 1, 0x60, struct.pack("<IQBBI", 1, 5000, 2, 1, 0)),
    ("ProbeResult", 2, 0x61, struct.pack("<IBBQQ", 2, 12, 0, 10000, 12500)),
    ("PulseDone", 3, 0x62, struct.pack("<IBBBQ", 3, 9, 4, 0, 20000)),
    ("Train", 15, 0x0C, struct.pack("<BBBBIIII", 0, 0, 1, 3, 1000, 0, 0, 1000000)),
    ("StopTrain", 16, 0x0D, b""),
    ("ProbeBatch", 4, 0x63, struct.pack("<IBIQ", 4, 15, 0, 10000) + struct.pack("<II", 0, 2500)
     + struct.pack("<II", 5000, 2600) + struct.pack("<II", 10000, 0xFFFFFFFF)),
    ("TrainDone", 5, 0x64, struct.pack("<IBBI", 5, 15, 0, 3)),
]

if __name__ == "__main__":
    print("| example | sequence | wire (hex) |")
    print("|---|---|---|")
    for name, seq, typ, payload in EXAMPLES:
        print("| %s | %d | `%s` |" % (name, seq, frame(typ, seq, payload).hex(" ")))
