// gpiohil's emulated Raspberry Pi Pico: the companion-MCU firmware (a UF2
// built by `make firmware`) on the rp2040js RP2040 emulator.
//
//   node pico.mjs FIRMWARE.uf2 [A:B]
//
// A:B wires GPa to GPb with a jumper: what one drives or pulls, the other
// reads, at the same emulated instant.
//
// gpiohil starts it (rig/picoemu) and talks to it on stdin and stdout, in
// frames: a kind byte, a 16-bit little-endian length, that many bytes.
//   S  bytes of the Pico's USB CDC serial port (host to firmware on stdin,
//      firmware to host on stdout);
//   P  one pin line (below), ASCII, no newline.
// One stream each way keeps cause before effect: a pin the firmware changed
// before it answered a command reaches gpiohil before the answer, and a
// level gpiohil put on a wire before it sent a command reaches the pin
// before the command. stderr carries diagnostics.
//
// Pin lines, fields separated by one space:
//   emulator -> gpiohil
//     ready PINS NS          USB enumerated and the port open: serve it
//     pin N STATE NS         what GPn now puts on its wire, at emulated time NS
//     clock NS               emulated time, every 10 ms of it
//     now NS                 the answer to time: the emulated time when it was read
//   gpiohil -> emulator
//     ext N LEVEL            what the rest of GPn's wire does: L or H (a level,
//                            driven or pulled), or Z (nothing)
//     time                   asks for the emulated time (answered at once, between
//                            two instructions)
// STATE is L or H (driving), Z (released, no pull), U or D (released, pull-up
// or pull-down). NS counts emulated nanoseconds since reset.
//
// A pin's input is resolved here, at once, from what the pin itself does and
// the last ext line: its own output when it drives, else the wire's level,
// else its pull. So a driven pin reads back its own level (as on silicon) and
// no answer crossing the host can arrive stale.
import { RP2040, USBCDC, GPIOPinState, createSetupPacket, DataDirection, SetupType, SetupRecipient } from 'rp2040js';
import { readFileSync, writeSync } from 'node:fs';

const FLASH = 0x10000000;
const VECTORS = FLASH + 0x100; // the application's vector table, after boot2
const CYCLE_NS = 8; // clk_sys at 125 MHz, as the firmware sets it
const SLICE_NS = 25_000; // emulated time between looks at the host's input
const CLOCK_EVERY_NS = 10_000_000;
const GPIOS = 30;

const [uf2, jumperArg] = process.argv.slice(2);
if (!uf2) {
  process.stderr.write('usage: node pico.mjs FIRMWARE.uf2 [A:B]\n');
  process.exit(2);
}
const jumper = new Map(); // pin -> the pin jumpered to it
if (jumperArg) {
  const [a, b] = jumperArg.split(':').map(Number);
  if (!Number.isInteger(a) || !Number.isInteger(b) || a === b || a < 0 || b < 0 || a >= 30 || b >= 30) fail(`bad jumper ${jumperArg}: want A:B, two different pins of 0..29`);
  jumper.set(a, b).set(b, a);
}

const mcu = new RP2040();
mcu.logger = {
  debug() {}, info() {}, warn() {},
  error(component, msg) { process.stderr.write(`rp2040js ${component}: ${msg}\n`); },
};

// Flash the UF2: 512-byte blocks, each with a target address and payload.
{
  const data = readFileSync(uf2);
  if (data.length === 0 || data.length % 512 !== 0) fail(`${uf2}: not a UF2 image (${data.length} bytes)`);
  for (let off = 0; off < data.length; off += 512) {
    const b = new DataView(data.buffer, data.byteOffset + off, 512);
    if (b.getUint32(0, true) !== 0x0a324655 || b.getUint32(4, true) !== 0x9e5d5157) fail(`${uf2}: block ${off / 512} has no UF2 magic`);
    const addr = b.getUint32(12, true), size = b.getUint32(16, true);
    if (addr < FLASH || size > 476) fail(`${uf2}: block ${off / 512} targets 0x${addr.toString(16)} (${size} bytes), not flash`);
    mcu.flash.set(data.subarray(off + 32, off + 32 + size), addr - FLASH);
  }
}

// The emulator ships no bootrom: start the application as the bootrom and
// boot2 would leave it, from its vector table (TinyGo calls the ROM only to
// write flash or reset into the bootloader, which this tier never does).
mcu.core.VTOR = VECTORS;
mcu.core.SP = mcu.readUint32(VECTORS);
mcu.core.PC = mcu.readUint32(VECTORS + 4) & ~1;

// Emulator fix 1: on exception entry rp2040js keeps the vector's Thumb bit
// in PC, where a Cortex-M0+ clears it; code that computes addresses from PC
// (LLVM's jump tables in the USB interrupt handler) then goes astray.
{
  const core = mcu.core, enter = core.exceptionEntry.bind(core);
  core.exceptionEntry = (n) => { enter(n); core.PC &= ~1; };
}

const cdc = new USBCDC(mcu.usbCtrl);
// The emulated host hands the firmware a 64-byte packet as fast as it arms
// a buffer; a full-speed host cannot deliver one faster than about every
// 50 µs (64 bytes at 12 Mbit/s, with the protocol's overhead).
mcu.usbCtrl.readDelayMicroseconds = 50;
// Emulator fix 2: the CDC host sends SET_CONTROL_LINE_STATE (DTR, the port
// opened) to the device; CDC addresses it to the interface, and TinyGo sends
// nothing until it sees DTR there.
cdc.cdcSetControlLineState = function (value = 3, iface = 0) {
  this.usb.sendSetupPacket(createSetupPacket({
    dataDirection: DataDirection.HostToDevice, type: SetupType.Class, recipient: SetupRecipient.Interface,
    bRequest: 0x22, wValue: value, wIndex: iface, wLength: 0,
  }));
  this.initialized = true;
};
// Emulator fix 3a: rp2040js reports an IN transfer complete at the very
// write that arms the buffer, before the firmware's interrupt handler has
// returned from arming it; TinyGo then clears the completion with a stale
// snapshot and its serial output stops. Report completion when the host has
// taken the data, as a real controller does.
{
  const usb = mcu.usbCtrl, ready = usb.indicateBufferReady.bind(usb);
  usb.indicateBufferReady = (ep, out) => {
    if (out || ep === 0) return ready(ep, out);
    mcu.clock.createAlarm(() => ready(ep, out)).schedule(usb.writeDelayMicroseconds * 1000 + 1000);
  };
}
// Emulator fix 3b: the emulated host answers every armed OUT buffer at once,
// with nothing when it has nothing (a real host NAKs until it has data); the
// firmware would take an interrupt per empty packet forever. Hold the
// request until there are bytes to send.
let heldRead = null;
{
  const usb = mcu.usbCtrl, read = usb.onEndpointRead;
  usb.onEndpointRead = (ep, size) => {
    if (ep === cdc.outEndpoint && cdc.txFIFO.itemCount === 0) { heldRead = () => read(ep, size); return; }
    read(ep, size);
  };
}

// Frames out, written synchronously and in order.
function frame(kind, payload) {
  const f = Buffer.allocUnsafe(3 + payload.length);
  f[0] = kind.charCodeAt(0);
  f.writeUInt16LE(payload.length, 1);
  f.set(payload, 3);
  writeAll(f);
}
function writeAll(buf) {
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') { process.stderr.write(`pico-emu: stdout: ${e.message}\n`); process.exit(0); }
    }
  }
}

// Serial: host bytes in, firmware bytes out.
// Emulator fix 3c: the emulated host's transmit FIFO holds 512 bytes and
// drops the rest; a host's serial driver holds what the device has not
// taken yet and makes the writer wait. The host's bytes queue here, the
// FIFO is topped up from the queue, and stdin pauses while it is long.
const hostQueue = [];
let queued = 0;
const QUEUE_MAX = 64 << 10;
function feed() {
  const fifo = cdc.txFIFO;
  while (queued > 0 && fifo.itemCount < fifo.size) {
    const head = hostQueue[0];
    const n = Math.min(head.length, fifo.size - fifo.itemCount);
    for (let i = 0; i < n; i++) fifo.push(head[i]);
    queued -= n;
    if (n === head.length) hostQueue.shift(); else hostQueue[0] = head.subarray(n);
  }
  if (queued < QUEUE_MAX / 2 && process.stdin.isPaused()) process.stdin.resume();
  if (heldRead && fifo.itemCount > 0) { const r = heldRead; heldRead = null; r(); }
}
function serialIn(bytes) {
  hostQueue.push(bytes);
  queued += bytes.length;
  if (queued >= QUEUE_MAX) process.stdin.pause();
  feed();
}
cdc.onSerialData = (buf) => { flush(); frame('S', buf); };

// Pins.
const pins = mcu.gpio.slice(0, GPIOS).map(() => ({ ext: 'Z', state: 'Z' }));
const STATE = {
  [GPIOPinState.Low]: 'L', [GPIOPinState.High]: 'H', [GPIOPinState.Input]: 'Z',
  [GPIOPinState.InputPullUp]: 'U', [GPIOPinState.InputPullDown]: 'D', [GPIOPinState.InputBusKeeper]: 'Z',
};
// Emulator fix 4 (as the header says): rp2040js reads only what is applied
// from outside, so the input is resolved here.
// A jumpered pin's wire also carries what its partner drives or pulls.
function resolve(n) {
  const p = pins[n];
  let ext = p.ext;
  if (jumper.has(n)) {
    const s = pins[jumper.get(n)].state;
    if (s !== 'Z') ext = s === 'H' || s === 'U' ? 'H' : 'L';
  }
  let level;
  switch (p.state) {
    case 'L': case 'H': level = p.state === 'H'; break;
    default: level = ext === 'Z' ? p.state === 'U' : ext === 'H';
  }
  if (mcu.gpio[n].rawInputValue !== level) mcu.gpio[n].setInputValue(level);
}

let out = [];
let outputChanged = false;
function send(line) { out.push(line); }
function flush() {
  for (const line of out) frame('P', Buffer.from(line, 'latin1'));
  out = [];
}

mcu.gpio.slice(0, GPIOS).forEach((g, n) => {
  pins[n].state = STATE[g.value];
  g.addListener((v) => {
    const s = STATE[v];
    if (s === pins[n].state) return;
    pins[n].state = s;
    resolve(n);
    if (jumper.has(n)) resolve(jumper.get(n));
    send(`pin ${n} ${s} ${Math.round(mcu.clock.nanos)}`);
    outputChanged = true;
  });
});

function pinLine(line) {
  const [cmd, a, b] = line.split(' ');
  if (cmd === 'time' && a === undefined) { send(`now ${Math.round(mcu.clock.nanos)}`); flush(); return; }
  const n = Number(a);
  if (cmd !== 'ext' || !Number.isInteger(n) || n < 0 || n >= GPIOS || !['L', 'H', 'Z'].includes(b)) {
    fail(`bad pin line ${JSON.stringify(line)}`);
  }
  pins[n].ext = b;
  resolve(n);
}

// Frames in, in order.
let inbuf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  inbuf = inbuf.length ? Buffer.concat([inbuf, chunk]) : chunk;
  while (inbuf.length >= 3) {
    const len = inbuf.readUInt16LE(1);
    if (inbuf.length < 3 + len) break;
    const kind = String.fromCharCode(inbuf[0]), payload = inbuf.subarray(3, 3 + len);
    inbuf = inbuf.subarray(3 + len);
    if (kind === 'S') serialIn(Buffer.from(payload));
    else if (kind === 'P') pinLine(payload.toString('latin1'));
    else fail(`bad frame kind ${JSON.stringify(kind)}`);
  }
});
process.stdin.on('end', () => process.exit(0));

cdc.onDeviceConnected = () => {
  for (let n = 0; n < GPIOS; n++) send(`pin ${n} ${pins[n].state} ${Math.round(mcu.clock.nanos)}`);
  send(`ready ${GPIOS} ${Math.round(mcu.clock.nanos)}`);
};

// The main loop: run the core a slice of emulated time at a time, cut short
// when a pin changes so the change leaves at once, and let Node read the
// host's bytes and pin lines between slices.
let nextClock = CLOCK_EVERY_NS;
function slice() {
  feed();
  const clock = mcu.clock, core = mcu.core, end = clock.nanos + SLICE_NS;
  while (clock.nanos < end && !outputChanged) {
    if (core.waiting) {
      const n = clock.nanosToNextAlarm;
      clock.tick(n > 0 && isFinite(n) ? Math.min(n, end - clock.nanos) : end - clock.nanos);
    } else {
      clock.tick(core.executeInstruction() * CYCLE_NS);
    }
  }
  outputChanged = false;
  if (clock.nanos >= nextClock) {
    send(`clock ${Math.round(clock.nanos)}`);
    nextClock += CLOCK_EVERY_NS;
  }
  flush();
  setImmediate(slice);
}
slice();

function fail(msg) {
  process.stderr.write(`pico-emu: ${msg}\n`);
  process.exit(1);
}
