"""UPDE stepper, SEC functional and L16 controller from Python (spec/20 §6–§7)."""

from __future__ import annotations

import array
import math

import pytest

import backfire_kernel as bk

TAU = 2 * math.pi
STATE_KEYS = ["theta", "dtheta_dt", "t", "r_global", "step_count"]


# ------------------------------------------------------------------- UPDE


def test_aliases_are_the_same_classes():
    assert bk.RustUPDEStepper is bk.UPDEStepper
    assert bk.RustSECFunctional is bk.SECFunctional
    assert bk.RustL16Controller is bk.L16Controller


def test_create_state():
    s = bk.UPDEStepper.create_state([0.0] * 16)
    assert list(s) == STATE_KEYS
    assert len(s["theta"]) == 16 and s["step_count"] == 0
    assert abs(s["r_global"] - 1.0) < 1e-6
    assert bk.UPDEStepper.create_state([]) == {
        "theta": [],
        "dtheta_dt": [],
        "t": 0.0,
        "r_global": 0.0,
        "step_count": 0,
    }


def test_random_state_is_in_range_and_seedable():
    s = bk.UPDEStepper.random_state()
    assert len(s["theta"]) == 16 and all(0 <= x < TAU for x in s["theta"])
    assert bk.UPDEStepper.random_state(seed=7) == bk.UPDEStepper.random_state(seed=7)
    assert bk.UPDEStepper.random_state(seed=7) != bk.UPDEStepper.random_state(seed=8)


def test_run_one_and_hundred_steps():
    stepper = bk.UPDEStepper()
    s = stepper.run([0.0] * 16, 1)
    assert s["step_count"] == 1 and abs(s["t"] - 0.01) < 1e-10
    s = stepper.run([0.0] * 16, 100)
    assert s["step_count"] == 100 and all(0 <= x < TAU for x in s["theta"])


def test_noise_free_golden_step():
    s = bk.UPDEStepper(noise_amplitude=0.0).run([0.0] * 16, 1)
    assert s["r_global"] == pytest.approx(0.8814366140298765, abs=1e-9)
    omega = bk.UPDEStepper().omega
    assert s["dtheta_dt"] == pytest.approx([w + 0.1 for w in omega], abs=1e-12)


def test_seeded_golden_run():
    """Spec §3.6: seed 42, defaults, θ = 0, 100 steps → R = 0.7576618317313849."""
    s = bk.UPDEStepper(seed=42).run([0.0] * 16, 100)
    assert s["r_global"] == pytest.approx(0.7576618317313849, abs=1e-9)
    first = bk.UPDEStepper(seed=42).run([0.0] * 16, 1)
    assert first["theta"][0] == pytest.approx(6.275237451254193, abs=1e-9)


def test_step_and_run_continue_time():
    stepper = bk.UPDEStepper(seed=1)
    s = stepper.run([0.0] * 16, 10)
    s = stepper.step(s)
    assert s["step_count"] == 11 and s["t"] == pytest.approx(0.11)
    s = stepper.run(s, 4)
    assert s["step_count"] == 15 and s["t"] == pytest.approx(0.15)
    # The same 15 steps in one run give the same phases (same noise stream).
    again = bk.UPDEStepper(seed=1).run([0.0] * 16, 15)
    assert again["theta"] == pytest.approx(s["theta"], abs=1e-12)


def test_inputs_as_buffers():
    numpy = pytest.importorskip("numpy")
    a = bk.UPDEStepper(seed=3).run(numpy.zeros(16), 5)
    b = bk.UPDEStepper(seed=3).run(array.array("d", [0.0] * 16), 5)
    c = bk.UPDEStepper(seed=3).run((0.0,) * 16, 5)
    assert a == b == c


def test_run_errors():
    stepper = bk.UPDEStepper()
    with pytest.raises(ValueError, match="theta length mismatch"):
        stepper.run([0.0] * 4, 1)
    with pytest.raises(ValueError, match="NaN or Inf"):
        stepper.run([math.nan] * 16, 1)
    with pytest.raises(OverflowError):
        stepper.run([0.0] * 16, -1)
    with pytest.raises(TypeError):
        stepper.run([0.0] * 16, 1.5)
    with pytest.raises(TypeError):
        stepper.run("abc", 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"dt": 0.0}, "dt"), ({"dt": math.nan}, "dt"), ({"noise_amplitude": -1.0}, "noise_amplitude"),
     ({"field_pressure": math.inf}, "field_pressure")],
)
def test_constructor_validates(kwargs, field):
    with pytest.raises(ValueError, match=field):
        bk.UPDEStepper(**kwargs)


def test_parameters_are_readable_and_setters_validate():
    stepper = bk.UPDEStepper(dt=0.02)
    assert (stepper.dt, stepper.field_pressure, stepper.noise_amplitude) == (0.02, 0.1, 0.05)
    assert len(stepper.omega) == 16 and stepper.omega[1] == 251.327
    k = stepper.knm
    assert len(k) == 16 and k[0][1] == pytest.approx(0.302) and k[0][15] == pytest.approx(0.05)
    assert all(k[i][j] == k[j][i] for i in range(16) for j in range(16))
    stepper.dt = 0.001
    assert stepper.dt == 0.001
    with pytest.raises(ValueError):
        stepper.dt = -1.0
    assert stepper.dt == 0.001


def test_custom_model_synchronises():
    """Uniform K = 5 from an exact splay (spec §7.1): the unstable splay
    breaks and R exceeds 0.9."""
    stepper = bk.UPDEStepper(dt=0.001, field_pressure=0.0, noise_amplitude=0.0, omega=[1.0] * 16, knm=[5.0] * 256)
    assert stepper.knm[3][7] == 5.0 and stepper.omega == [1.0] * 16
    splay = [i * TAU / 16 for i in range(16)]
    assert bk.UPDEStepper.create_state(splay)["r_global"] < 0.15
    assert stepper.run(splay, 5000)["r_global"] > 0.9
    with pytest.raises(ValueError):
        bk.UPDEStepper(omega=[1.0] * 15)
    with pytest.raises(ValueError):
        stepper.knm = [math.nan] * 256


# -------------------------------------------------------------------- SEC


def test_sec_evaluate_keys_and_goldens():
    sec = bk.SECFunctional()
    r = sec.evaluate([0.0] * 16)
    assert list(r) == ["v", "v_normalised", "r_global", "dv_dt", "coherence_score", "v_coupling",
                       "v_frequency", "v_entropy"]
    assert 0.0 <= r["coherence_score"] <= 1.0
    assert r["coherence_score"] == pytest.approx(0.99990587935604, abs=1e-12)
    spread = bk.SECFunctional().evaluate([0.4 * i for i in range(16)])
    assert spread["v"] == pytest.approx(19.680136668532857, rel=1e-12)
    assert spread["coherence_score"] == pytest.approx(0.6759183934041591, rel=1e-12)


def test_sec_with_previous_phases_and_reset():
    sec = bk.SECFunctional()
    r = sec.evaluate([0.0] * 16, theta_prev=[0.1] * 16, dt=0.01)
    assert isinstance(r["dv_dt"], float) and r["dv_dt"] == 0.0
    assert r["v_frequency"] == pytest.approx(7517.279063400001, rel=1e-12)
    r2 = sec.evaluate([0.4 * i for i in range(16)])
    assert r2["dv_dt"] == pytest.approx(-749760.4642289212, rel=1e-9)
    sec.reset()
    assert sec.evaluate([0.0] * 16)["dv_dt"] == 0.0


def test_sec_update_coupling():
    sec = bk.SECFunctional()
    sec.update_coupling([0.1] * 256)
    assert sec.v_max == pytest.approx(51.2)
    sec.update_coupling([[0.2] * 16 for _ in range(16)])
    assert sec.v_max == pytest.approx(102.4)
    with pytest.raises(ValueError, match="expected 256 elements, got 10"):
        sec.update_coupling([0.1] * 10)
    with pytest.raises(ValueError):
        sec.update_coupling([math.nan] * 256)


def test_sec_errors_and_empty_input():
    sec = bk.SECFunctional()
    with pytest.raises(ValueError, match="theta contains NaN or Inf"):
        sec.evaluate([math.nan] * 16)
    with pytest.raises(ValueError, match="theta_prev contains NaN or Inf"):
        sec.evaluate([0.0] * 16, theta_prev=[math.inf] * 16)
    # The reference scored an empty snapshot R = NaN and compared only the
    # shorter prefix of a theta_prev of another length.
    with pytest.raises(ValueError, match="theta must not be empty"):
        sec.evaluate([])
    with pytest.raises(ValueError, match=r"theta_prev must have the length of theta \(16\), got 3"):
        sec.evaluate([0.0] * 16, theta_prev=[0.0] * 3)


def test_critical_coupling():
    kc = bk.SECFunctional().critical_coupling()
    assert kc == pytest.approx(96.98004588726975, rel=1e-12)


# -------------------------------------------------------------------- L16


def test_l16_step_keywords_and_types():
    ctl = bk.L16Controller()
    r = ctl.step(theta=[0.0] * 16, r_global=0.8, plv=0.7, c7=0.1, c8=0.1, c10=0.1, p_h1=0.8, h_frob=0.1, dt=0.01)
    assert list(r) == ["lambda7", "lambda8", "lambda10", "nu_star", "gate_open", "refusal", "h_rec",
                       "dh_rec_dt", "lyapunov_stable", "avg_plv", "lr_z_scale", "d_theta_scale", "tau_d_scale"]
    assert r["h_rec"] == pytest.approx(0.19999999999999996, abs=1e-12)
    assert isinstance(r["lyapunov_stable"], bool) and r["gate_open"] is True
    assert all(r[k] == pytest.approx(0.01) for k in ("lambda7", "lambda8", "lambda10", "nu_star"))


def test_l16_positional_and_gate():
    ctl = bk.L16Controller(plv_threshold=0.5)
    r = ctl.step([0.0] * 16, 0.9, 0.8, 0.0, 0.0, 0.0, 0.8, 0.0, 0.01)
    assert r["h_rec"] == pytest.approx(0.09999999999999998, abs=1e-12)
    assert ctl.plv_gate_open() is True


def test_l16_refusal_sequence():
    ctl = bk.L16Controller()
    results = [ctl.step([0.0] * 16, 1.0 - 0.1 * i, 0.9, p_h1=0.0) for i in range(8)]
    assert [r["refusal"] for r in results] == [False] * 5 + [True] * 3
    assert ctl.refusal_count == 3 and ctl.state["lr_z_scale"] == 0.5
    assert ctl.refusal_episodes == 1 and ctl.state["refusal_episodes"] == 1  # one rise, three steps
    assert results[1]["dh_rec_dt"] == pytest.approx(10.0)
    # A fall ends the episode; the next rise is a second one.
    ctl.step([0.0] * 16, 0.9, 0.9, p_h1=0.0)
    for i in range(5):
        ctl.step([0.0] * 16, 0.8 - 0.1 * i, 0.9, p_h1=0.0)
    assert ctl.refusal_episodes == 2 and ctl.refusal_count > 3
    ctl.reset()
    assert ctl.refusal_count == ctl.refusal_episodes == 0 and ctl.plv_gate_open() is False


def test_l16_rejects_non_finite_and_bad_params():
    ctl = bk.L16Controller()
    with pytest.raises(ValueError):
        ctl.step([0.0] * 16, math.nan, 0.7)
    with pytest.raises(ValueError):
        ctl.step([0.0] * 16, 0.8, 0.7, dt=0.0)
    assert ctl.state["h_rec_history"] == []  # nothing changed
    with pytest.raises(ValueError):
        bk.L16Controller(plv_threshold=2.0)
    with pytest.raises(ValueError):
        bk.L16Controller(h_rec_window=1)
    with pytest.raises(OverflowError):
        bk.L16Controller(plv_window=-1)
    with pytest.raises(TypeError):
        ctl.step([0.0] * 16)


def test_l16_full_h_rec_path_with_eigenvector_blocks():
    np = pytest.importorskip("numpy")
    eigvecs = [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    target = [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    args = dict(theta=[0.0, math.pi], r_global=0.8, plv=0.5, p_h1=0.72, h_frob=10.0)
    # Simplified path (the reference's): neither theta nor h_frob count.
    assert bk.L16Controller().step(**args)["h_rec"] == pytest.approx(0.2)
    # Full path: column 1 differs by 2, theta has R = 0 (variance 1), 0.01·h_frob.
    full = bk.L16Controller().step(**args, eigvecs=eigvecs, target=target)["h_rec"]
    assert full == pytest.approx(2.0 + 0.2 + 1.0 + 0.1)
    as_arrays = bk.L16Controller().step(**args, eigvecs=np.array(eigvecs), target=np.array(target))["h_rec"]
    assert as_arrays == full
    with pytest.raises(ValueError, match="eigvecs and target must be given together"):
        bk.L16Controller().step(**args, eigvecs=eigvecs)
    with pytest.raises(ValueError, match="eigvecs rows must all have 2 values, got one with 1"):
        bk.L16Controller().step(**args, eigvecs=[[1.0, 0.0], [1.0]], target=target)
    with pytest.raises(ValueError, match="target block"):
        bk.L16Controller().step(**args, eigvecs=eigvecs, target=[[1.0], [0.0]])
    with pytest.raises(TypeError, match="^eigvecs must be a matrix given as rows of numbers$"):
        bk.L16Controller().step(**args, eigvecs=[1.0, 0.0], target=target)


def test_upde_scrambled_seeds_and_silent_noise_skip():
    zeros = [0.0] * 16
    plain = bk.UPDEStepper(seed=1).run(zeros, 3)["theta"]
    scrambled = bk.UPDEStepper(seed=1, scramble_seed=True).run(zeros, 3)["theta"]
    assert scrambled != plain
    again = bk.UPDEStepper(seed=7)
    again.reseed(1, scramble=True)
    assert again.run(zeros, 3)["theta"] == scrambled
    again.reseed(1)
    assert again.run(zeros, 3)["theta"] == plain

    # Skipping the draws at σ = 0 shifts the stream seen once σ > 0.
    drawing, skipping = bk.UPDEStepper(noise_amplitude=0.0, seed=3), bk.UPDEStepper(noise_amplitude=0.0, seed=3)
    skipping.skip_silent_noise = True
    assert (drawing.skip_silent_noise, skipping.skip_silent_noise) == (False, True)
    assert drawing.run(zeros, 5)["theta"] == skipping.run(zeros, 5)["theta"]
    for s in (drawing, skipping):
        s.noise_amplitude = 0.05
    assert drawing.run(zeros, 1)["theta"] != skipping.run(zeros, 1)["theta"]
    assert bk.UPDEStepper(skip_silent_noise=True).skip_silent_noise is True


def test_every_simd_level_gives_the_same_bits() -> None:
    best = bk.UPDEStepper(seed=1).simd_level
    assert best in ("portable", "avx2", "avx512")
    theta = [0.3 * i for i in range(16)]
    portable = bk.UPDEStepper(seed=11)
    portable.simd_level = "portable"
    expected = portable.run(theta, 500)
    ran = 0
    for level in ("portable", "avx2", "avx512"):
        stepper = bk.UPDEStepper(seed=11)
        try:
            stepper.simd_level = level
        except ValueError as e:
            assert "cannot run" in str(e)
            continue
        assert stepper.simd_level == level
        assert stepper.run(theta, 500) == expected
        ran += 1
    assert ran >= 1
    with pytest.raises(ValueError, match="simd_level must be one of"):
        portable.simd_level = "sse9"
    with pytest.raises(TypeError):
        portable.simd_level = 3  # type: ignore[assignment]
    assert portable.simd_level == "portable"
