"""TCBO observer and controller, PGBO engine from Python (spec/30 §5–§6)."""

from __future__ import annotations

import math

import pytest

import backfire_kernel as bk


def test_aliases():
    assert bk.RustTCBOObserver is bk.TCBOObserver
    assert bk.RustTCBOController is bk.TCBOController
    assert bk.RustPGBOEngine is bk.PGBOEngine


# ------------------------------------------------------------------- TCBO


def test_observer_before_enough_rows():
    obs = bk.TCBOObserver(n=16)
    p = obs.push_and_compute([0.0] * 16, True)
    assert p == 0.0 and isinstance(obs.p_h1, float) and obs.is_conscious is False
    obs.push_and_compute([0.5] * 16, True)
    obs.reset()
    assert obs.p_h1 == 0.0 and obs.buffer_size == 0


def test_reference_mode_golden_values():
    """Spec §6.4, in the reference-compatible (linear) embedding."""
    obs = bk.TCBOObserver(n=2, embedding="linear")
    for t in range(60):
        a = 2 * math.pi * t / 20
        obs.push([math.cos(a), math.sin(a)])
    assert obs.compute() == pytest.approx(0.7033912539670735, abs=1e-12)
    assert obs.is_conscious is False
    obs = bk.TCBOObserver(n=1, embedding="linear")
    for t in range(60):
        obs.push([math.sin(0.3 * t)])
    assert obs.compute() == pytest.approx(0.92167949982671282, abs=1e-12)
    assert obs.s_h1 == pytest.approx(0.30817352057177727, abs=1e-12)
    obs = bk.TCBOObserver(n=1, tau_h1=0.9, beta=2.0, window_size=20, embedding="linear")
    for i in range(30):
        obs.push([math.sin(0.3 * i)])
    assert obs.compute() == pytest.approx(0.6498728090119127, abs=1e-12)


def test_stride_sequence_in_reference_mode():
    obs = bk.TCBOObserver(n=4, window_size=10, embedding="linear")
    values = [obs.push_and_compute([math.sin(0.7 * i + k) for k in range(4)], False) for i in range(14)]
    assert values[:11] == [0.0] * 11
    assert values[11:] == pytest.approx([0.7579170298411265, 0.7551745342753936, 0.7550935945727542], abs=1e-12)


def test_rips_separates_a_loop_from_a_line():
    """A phase pair winding around a torus is a loop; a ramp of phases is not."""
    loop = bk.TCBOObserver(n=2, method="rips")
    line = bk.TCBOObserver(n=2, method="rips")
    surrogate_line = bk.TCBOObserver(n=2, embedding="linear")
    for t in range(60):
        a = 2 * math.pi * t / 20
        loop.push([a, 2 * a])
        line.push([0.01 * t, 0.02 * t])
        surrogate_line.push([0.1 * t, 0.0])
    assert loop.method == "rips"
    assert loop.compute() > 0.9 and loop.is_conscious
    assert line.compute() == 0.5 and not line.is_conscious
    # The surrogate calls a straight line a boundary (spec §8 item 1).
    assert surrogate_line.compute() > 0.5


def test_observer_validates():
    obs = bk.TCBOObserver(n=3)
    with pytest.raises(ValueError, match="length 3"):
        obs.push([0.0, 1.0])
    with pytest.raises(ValueError):
        obs.push([0.0, math.nan, 1.0])
    assert obs.buffer_size == 0
    with pytest.raises(ValueError, match="method"):
        bk.TCBOObserver(method="ripser")
    with pytest.raises(ValueError):
        bk.TCBOObserver(window_size=0)
    with pytest.raises(ValueError):
        bk.TCBOObserver(beta=math.inf)


def test_rips_bounds_subsample_max():
    with pytest.raises(ValueError, match="subsample_max must be <= 2048 with method rips, got 2049"):
        bk.TCBOObserver(method="rips", subsample_max=2049)
    with pytest.raises(ValueError, match="subsample_max"):
        bk.TCBOObserver(method="rips", window_size=70000, subsample_max=70000)
    assert bk.TCBOObserver(method="rips", subsample_max=2048).method == "rips"
    # The surrogate does not use it.
    assert bk.TCBOObserver(subsample_max=70000).method == "surrogate"


# ------------------------------------------------------------- controller


def test_controller_reference_values():
    c = bk.TCBOController()
    k = c.step(p_h1=0.5, current_kappa=1.0, dt=0.01)
    assert isinstance(k, float) and k == pytest.approx(1.17644, abs=1e-12)
    c = bk.TCBOController(tau_h1=0.72)
    assert c.is_gate_open(0.8) is True and c.is_gate_open(0.5) is False
    c.step(0.5, 1.0, 0.01)
    c.reset()
    assert c.integral == 0.0 and c.last_error == 0.0 and c.is_gate_open() is False
    assert c.compute_error(0.5) == pytest.approx(0.22)


def test_controller_laws_after_the_deficit():
    """Reference: κ ratchets up after the deficit ends; ours comes back down."""
    feeds = [0.3, 0.5, 0.8, 0.9, 0.9]
    ref = bk.TCBOController(law="reference")
    kappa, seen = 1.0, []
    for p in feeds:
        kappa = ref.step(p, kappa, 0.1)
        seen.append(kappa)
    assert seen == pytest.approx([1.3444, 1.5332, 1.546, 1.5588, 1.5716], abs=1e-12)
    ours = bk.TCBOController()
    kappa = 1.0
    for p in feeds[:2]:
        kappa = ours.step(p, kappa, 0.1)
    assert kappa == pytest.approx(1.5332, abs=1e-12)  # same as the reference during the deficit
    for _ in range(200):
        kappa = ours.step(0.95, kappa, 0.1)
    assert kappa < 1.5332 and 0.0 <= kappa <= 5.0


def test_controller_validates():
    with pytest.raises(ValueError):
        bk.TCBOController(kappa_max=-1.0)  # the reference panics at the first step
    c = bk.TCBOController()
    with pytest.raises(ValueError):
        c.step(math.nan, 1.0, 0.01)
    with pytest.raises(ValueError, match="law"):
        bk.TCBOController(law="pid")


# ------------------------------------------------------------------- PGBO


def test_pgbo_keys_types_and_reset():
    e = bk.PGBOEngine(n=16)
    r = e.compute([0.0] * 16, dt=0.01)
    assert list(r) == ["u_mu", "h_munu", "u_norm", "h_trace", "h_frob"]
    assert len(r["u_mu"]) == 16 and len(r["h_munu"]) == 256
    assert isinstance(e.u_norm, float) and isinstance(e.h_frob, float)
    e.set_boundary_potential([0.0] * 16)
    e.compute([0.5] * 16, dt=0.01)
    e.reset()
    assert e.u_norm == 0.0


def test_pgbo_golden_values():
    e = bk.PGBOEngine(n=4)
    e.compute([0.1, 0.2, 0.3, 0.4], 0.01)
    r = e.compute([0.2, 0.3, 0.4, 0.5], 0.01)
    assert r["u_mu"] == pytest.approx([3.3333333333333295] * 4, abs=1e-12)
    assert r["u_norm"] == pytest.approx(6.666666666666659, abs=1e-12)
    assert r["h_trace"] == pytest.approx(13.333333333333302, abs=1e-12)
    t = bk.PGBOEngine(n=4, traceless=True)
    t.compute([0.1, 0.2, 0.3, 0.4], 0.01)
    r = t.compute([0.5, 0.1, 0.7, 0.2], 0.01)
    assert abs(sum(r["h_munu"][i * 5] for i in range(4))) < 1e-10
    assert r["h_frob"] == pytest.approx(19.16232705706873, abs=1e-12)


def test_pgbo_validates():
    e = bk.PGBOEngine(n=3)
    with pytest.raises(ValueError):
        e.compute([0.0, 0.0], 1.0)  # the reference leaves stale components
    with pytest.raises(ValueError):
        e.compute([0.0] * 3, 0.0)
    with pytest.raises(ValueError):
        e.compute([math.inf] * 3, 1.0)
    with pytest.raises(ValueError):
        e.set_boundary_potential([1.0])
    with pytest.raises(ValueError):
        bk.PGBOEngine(u_cap=-1.0)


def test_settings_are_readable_and_shown_in_repr():
    ctl = bk.TCBOController(tau_h1=0.8, kp=0.5, kappa_min=0.1, law="reference")
    assert (ctl.tau_h1, ctl.kp, ctl.ki, ctl.kappa_min, ctl.kappa_max, ctl.law) == (0.8, 0.5, 0.2, 0.1, 5.0, "reference")
    ctl.step(0.3, 1.0, 0.1)
    assert repr(ctl) == (
        f"TCBOController(tau_h1=0.8, kp=0.5, ki=0.2, kappa_min=0.1, kappa_max=5.0, law='reference', "
        f"integral={ctl.integral!r})"
    )
    pgbo = bk.PGBOEngine(n=3, alpha=0.25, traceless=True)
    assert (pgbo.n, pgbo.alpha, pgbo.kappa, pgbo.u_cap, pgbo.traceless) == (3, 0.25, 0.3, 10.0, True)
    pgbo.compute([0.1, 0.2, 0.3], 0.01)
    assert repr(pgbo) == f"PGBOEngine(n=3, alpha=0.25, kappa=0.3, u_cap=10.0, traceless=True, u_norm={pgbo.u_norm!r})"
    assert repr(bk.TCBOObserver(n=2)) == "TCBOObserver(n=2, method='surrogate', p_h1=0.0, is_conscious=False)"
