#!/usr/bin/env python3
"""Flash and static RAM of an ESP32-C3 ELF, from its section headers (what the linker placed),
checked against the budget line in docs/perf.md:

    ESP32-C3 image budget: flash <N> B, static RAM <N> B

flash = every allocated section with contents (what the flashed image carries); static RAM =
every allocated section in the chip's SRAM (IRAM 0x4037C000-0x403E0000, DRAM
0x3FC80000-0x3FCE0000), except the stack (the linker gives it whatever RAM is left) and the
`*_dummy` sections (address-space padding: IRAM and DRAM are one SRAM seen twice).
Also: the code contains no A-extension (atomic) instruction, which the chip does not have and
would trap on (its target lowers atomics to `__sync_*` calls instead).
Exit status 1 when over budget or an atomic instruction is found, 2 when the input is unusable."""
import re
import struct
import sys

SRAM = [(0x4037C000, 0x403E0000), (0x3FC80000, 0x3FCE0000)]
SHF_ALLOC = 0x2
SHT_NOBITS = 8


def sections(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise ValueError(f"{path}: not a 32-bit little-endian ELF")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = headers[shstrndx][4]

    def name(off):
        end = data.index(b"\0", strtab_off + off)
        return data[strtab_off + off:end].decode()

    for h in headers:
        sh_name, sh_type, sh_flags, sh_addr, sh_off, sh_size = h[:6]
        body = data[sh_off:sh_off + sh_size] if sh_type != SHT_NOBITS else b""
        yield name(sh_name), sh_type, sh_flags, sh_addr, sh_size, body


SHF_EXECINSTR = 0x4
AMO_OPCODE = 0x2F


def atomic_instructions(path):
    """Addresses of AMO/LR/SC instructions, by a linear sweep of the executable sections
    (16-bit compressed and 32-bit instructions; Rust emits no data inside code on RISC-V)."""
    found = []
    for name, typ, flags, addr, size, body in sections(path):
        if not flags & SHF_EXECINSTR or not flags & SHF_ALLOC:
            continue
        i = 0
        while i + 2 <= len(body):
            half = body[i] | body[i + 1] << 8
            if half & 0b11 == 0b11:
                if half & 0x7F == AMO_OPCODE:
                    found.append(addr + i)
                i += 4
            else:
                i += 2
    return found


def measure(path):
    flash = ram = 0
    rows = []
    for name, typ, flags, addr, size, _body in sections(path):
        if not flags & SHF_ALLOC or size == 0:
            continue
        in_flash = typ != SHT_NOBITS and not name.endswith("_dummy")
        in_ram = (any(lo <= addr < hi for lo, hi in SRAM) and name != ".stack"
                  and not name.endswith("_dummy"))
        flash += size if in_flash else 0
        ram += size if in_ram else 0
        rows.append((name, size, in_flash, in_ram))
    return flash, ram, rows


def budget(perf_md):
    text = open(perf_md, encoding="utf-8").read()
    m = re.search(r"^ESP32-C3 image budget: flash ([0-9,]+) B, static RAM ([0-9,]+) B$", text, re.M)
    if not m:
        raise ValueError(f"{perf_md}: no 'ESP32-C3 image budget: flash N B, static RAM N B' line")
    return tuple(int(g.replace(",", "")) for g in m.groups())


def main():
    if len(sys.argv) != 3:
        print("usage: esp32c3_image_check.py ELF docs/perf.md", file=sys.stderr)
        return 2
    try:
        flash, ram, rows = measure(sys.argv[1])
        max_flash, max_ram = budget(sys.argv[2])
        atomics = atomic_instructions(sys.argv[1])
    except (OSError, ValueError, struct.error) as e:
        print(f"esp32c3_image_check: {e}", file=sys.stderr)
        return 2
    for name, size, in_flash, in_ram in rows:
        where = "+".join(w for w, on in (("flash", in_flash), ("RAM", in_ram)) if on) or "-"
        print(f"  {name:<22} {size:>8} B  {where}")
    print(f"flash {flash} B of {max_flash} B budget; static RAM {ram} B of {max_ram} B budget")
    over = [f"flash {flash} > {max_flash}"] if flash > max_flash else []
    over += [f"static RAM {ram} > {max_ram}"] if ram > max_ram else []
    if atomics:
        print(f"{len(atomics)} atomic instruction(s), first at {atomics[0]:#x}: the chip has no "
              "A extension", file=sys.stderr)
        return 1
    print("no atomic instructions")
    if over:
        print("over the budget in docs/perf.md: " + ", ".join(over), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
