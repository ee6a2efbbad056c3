#!/usr/bin/env python3
"""Generates the sine/cosine table of backfire-nostd/src/num/fast_trig.rs.

Entry j of SIN holds sin(j*pi/32) rounded to the nearest f64, for one
period, j = 0..63 (the kernel reads cos(j*pi/32) as SIN[(j + 16) mod 64]). Values are computed with 80-digit
decimal Taylor series (no third-party packages) and converted with Python's
correctly rounded float(). Also prints the three-part split of pi/32 used by
the argument reduction. Run: python3 scripts/gen_trig_table.py
"""
from decimal import Decimal, getcontext
import struct

getcontext().prec = 80
PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")
STEPS_PER_HALF_TURN = 32
ENTRIES = 64


def sin_cos(x):
    s, c = Decimal(0), Decimal(0)
    term = Decimal(1)  # x^k / k!
    for k in range(0, 200):
        if k > 0:
            term = term * x / k
        if k % 4 == 0:
            c += term
        elif k % 4 == 1:
            s += term
        elif k % 4 == 2:
            c -= term
        else:
            s -= term
    return s, c


def rounded(v):
    # Exact zeros (multiples of pi/2) come out as ~1e-48 from the finite pi.
    return 0.0 if abs(v) < Decimal("1e-40") else float(v)


def bits(f):
    return struct.unpack("<Q", struct.pack("<d", f))[0]


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


step = PI / STEPS_PER_HALF_TURN
# Three parts: 45 significant bits each for the first two, so that j * part
# is exact for j < 2^8, and the rest rounded to 53 bits (~143 bits total).
step_1 = from_bits(bits(float(step)) & ~0xFF)
step_2 = from_bits(bits(float(step - Decimal(step_1))) & ~0xFF)
step_3 = float(step - Decimal(step_1) - Decimal(step_2))
print(f"const STEP_1: f64 = {step_1!r};")
print(f"const STEP_2: f64 = {step_2!r};")
print(f"const STEP_3: f64 = {step_3!r};")
values = [sin_cos(step * j) for j in range(ENTRIES)]
print(f"const SIN: [f64; {ENTRIES}] = [")
for j in range(0, ENTRIES, 4):
    print("    " + " ".join(f"{rounded(v[0])!r}," for v in values[j:j + 4]))
print("];")
