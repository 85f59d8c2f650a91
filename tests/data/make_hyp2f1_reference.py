#!/usr/bin/env python3
"""Reference tables for clvkit's 2F1 and BG/NBD conditional expectation, from mpmath.

Writes, next to this script:
  hyp2f1_reference.csv       a,b,c,z,log_abs,sign       log|2F1(a,b;c;z)| and its sign
  bgnbd_expectation_reference.csv
                             r,alpha,a,b,x,t_x,T,t,p_alive,expected,given_alive

Every input is a double; it is converted to mpmath exactly (mpf(float)) so the reference is the
exact function value at the double the C++ test passes, and printed with repr() so the C++ side
parses the same double back. mpmath works at mp.dps = 50 for 2F1 and at 60 for the expectation,
whose textbook form loses up to ~10 digits to cancellation when a is within 1e-8 of 1; the
expectation is also checked against the Beta integral by quadrature. Results are printed with
25 significant digits. Run: python3 make_hyp2f1_reference.py (mpmath 1.3.0, about 15 s).
"""
import csv
import os

import mpmath as mp

HERE = os.path.dirname(os.path.abspath(__file__))

# BG/NBD parameter sets (r, a, b): the CDNOW fit by lifetimes, small/large shapes, the a -> 1
# limit from both sides, and exact degeneracies (r = a makes c-a-b = -1-x an integer; r=a=b=1
# makes c = a, a closed form).
LIFETIMES = (0.24259292827982198, 4.413532265271817, 0.7928859664406002, 2.4257523826255123)
PARAM_SETS = [
    (LIFETIMES[0], LIFETIMES[2], LIFETIMES[3]),
    (0.05, 0.3, 0.8),
    (1.0, 1.0, 1.0),
    (2.5, 1.7, 6.0),
    (0.7, 0.7, 3.0),
    (10.0, 0.5, 40.0),
    (LIFETIMES[0], 1.0 + 1e-8, LIFETIMES[3]),
    (LIFETIMES[0], 1.0 - 1e-8, LIFETIMES[3]),
]
XS = [0, 1, 5, 30, 1000]
ZS = [0.05, 0.3, 0.5, 0.6, 0.8, 0.95, 0.999, 0.9999]


def hyp_rows():
    rows = []
    # 1. The BG/NBD triple (r+x, b+x, a+b+x-1) over parameter sets, counts and z.
    for r, a, b in PARAM_SETS:
        for x in XS:
            for z in ZS:
                rows.append((r + x, b + x, a + b + x - 1.0, z))
    # 2. c - a - b = m + eta near and at integers, both signs of eta, m = 0 and 2, on both sides
    #    (c-a-b > 0 direct, < 0 via Euler), for z where the connection formula is used.
    for x in (0, 3):
        r, b = 0.5, 2.0
        for m in (0, 2, -1, -3):
            for eta in (0.0, 1e-12, -1e-8, 1e-5, -3e-3, 0.2, 0.5, -0.49):
                a = 1.0 + r + x + m + eta
                if a <= 0:
                    continue
                for z in (0.7, 0.99, 0.9999):
                    rows.append((r + x, b + x, a + b + x - 1.0, z))
    # 3. c < 0 (new customer with a + b < 1) and c in (0, 1).
    for r, a, b in ((0.3, 0.2, 0.3), (0.05, 0.4, 0.55), (2.0, 0.1, 0.95)):
        for z in (0.1, 0.5, 0.9, 0.999):
            rows.append((r, b, a + b - 1.0, z))
    # 4. z < 0 (Pfaff branch).
    for z in (-0.5, -3.0, -100.0):
        rows.append((0.24259292827982198, 2.4257523826255123, 2.2186383490661125, z))
        rows.append((5.0, 2.5, 7.5, z))
    return rows


def hyp_reference(rows):
    mp.mp.dps = 50
    out = []
    for a, b, c, z in rows:
        v = mp.hyp2f1(mp.mpf(a), mp.mpf(b), mp.mpf(c), mp.mpf(z))
        sign = 1 if v >= 0 else -1
        out.append((repr(a), repr(b), repr(c), repr(z), mp.nstr(mp.log(abs(v)), 25), sign))
    return out


CUSTOMERS = [(0, 0.0, 39.0), (1, 30.0, 39.0), (7, 35.0, 39.0), (50, 38.0, 39.0),
             (1000, 39.0, 39.0), (3, 1.0, 39.0), (2, 0.5, 0.5), (0, 0.0, 0.0)]
HORIZONS = [1.0, 39.0, 52.0, 520.0, 1e4]
EXPECT_PARAMS = [
    LIFETIMES,
    (LIFETIMES[0], LIFETIMES[1], 1.0 + 1e-8, LIFETIMES[3]),
    (LIFETIMES[0], LIFETIMES[1], 1.0 - 1e-8, LIFETIMES[3]),
    (LIFETIMES[0], LIFETIMES[1], 1.0, LIFETIMES[3]),
    (1.0, 1.0, 1.0, 1.0),
    (3.0, 10.0, 5.0, 20.0),
    (0.01, 0.1, 0.05, 0.2),
    (0.5, 2.0, 1.5 + 1e-9, 3.0),  # c-a-b = a-1-r-x = -x + 1e-9: near-integer
    (0.5, 2.0, 1.7, 30.0),
]


def expectation(r, alpha, a, b, x, t_x, T, t):
    with mp.workdps(60):
        return _expectation(r, alpha, a, b, x, t_x, T, t)


def _expectation(r, alpha, a, b, x, t_x, T, t):
    r, alpha, a, b, x, t_x, T, t = map(mp.mpf, (r, alpha, a, b, x, t_x, T, t))
    if x > 0:
        p_alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    else:
        p_alive = mp.mpf(1)
    A, bx, C = r + x, b + x, a + b + x - 1
    z = t / (alpha + T + t)
    s = (alpha + T) / (alpha + T + t)
    if a == 1:
        # The a -> 1 limit is analytic; evaluate the same formula at a = 1 + 1e-25 (the change in
        # K is ~1e-25 relative; the cancellation in 1 - (...) leaves ~35 of the 60 digits).
        a = a + mp.mpf("1e-25")
        C = a + b + x - 1
    k = C / (a - 1) * (1 - s ** A * mp.hyp2f1(A, bx, C, z))
    return p_alive, p_alive * k, k


def expectation_rows():
    out = []
    for r, alpha, a, b in EXPECT_PARAMS:
        for x, t_x, T in CUSTOMERS:
            for t in HORIZONS:
                p, e, k = expectation(r, alpha, a, b, x, t_x, T, t)
                out.append([repr(v) for v in (r, alpha, a, b, float(x), t_x, T, t)] +
                           [mp.nstr(p, 25), mp.nstr(e, 25), mp.nstr(k, 25)])
    return out


def crosscheck_by_quadrature():
    """Checks the 2F1 expectation against the Beta integral E_p[(1 - (1+pu)^-A)/p] on a few
    points (an independent route), so the table does not rest on one mpmath code path."""
    mp.mp.dps = 30
    worst = mp.mpf(0)
    for r, alpha, a, b in EXPECT_PARAMS:
        for x, t_x, T in CUSTOMERS[:4]:
            for t in (39.0, 520.0):
                _, _, k = expectation(r, alpha, a, b, x, t_x, T, t)
                A, bx = mp.mpf(r) + x, mp.mpf(b) + x
                u = mp.mpf(t) / (mp.mpf(alpha) + T)
                aa = mp.mpf(a)

                # Split at p = 1/2; v = p^a removes the p^(a-1) singularity at 0 and
                # w = (1-p)^(b+x) the (1-p)^(b+x-1) one at 1.
                def left(v):
                    p = v ** (1 / aa)
                    if p == 0:
                        return A * u / aa
                    one_minus_p = -mp.expm1(mp.log(v) / aa)
                    return one_minus_p ** (bx - 1) * (-mp.expm1(-A * mp.log1p(p * u))) / (aa * p)

                def right(w):
                    p = 1 - w ** (1 / bx)
                    return p ** (aa - 2) * (-mp.expm1(-A * mp.log1p(p * u))) / bx

                half = mp.mpf(0.5)
                kink = 1 / (u * (A + 1))
                lbreaks = [0, half ** aa] + ([kink ** aa] if kink < half else [])
                q = (mp.quad(left, sorted(lbreaks)) + mp.quad(right, [0, half ** bx])) / mp.beta(aa, bx)
                worst = max(worst, abs(q / k - 1))
    return worst


def write(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    write("hyp2f1_reference.csv", ["a", "b", "c", "z", "log_abs", "sign"], hyp_reference(hyp_rows()))
    write("bgnbd_expectation_reference.csv",
          ["r", "alpha", "a", "b", "x", "t_x", "T", "t", "p_alive", "expected", "given_alive"],
          expectation_rows())
    worst = crosscheck_by_quadrature()
    print("max relative difference, 2F1 form vs Beta-integral quadrature:", mp.nstr(worst, 3))
    assert worst < 1e-15, worst


if __name__ == "__main__":
    main()
