"""SSGF geometry engine from Python (spec/40 §9, §10.2, §10.3)."""

from __future__ import annotations

import math
import re

import pytest

import backfire_kernel as bk

LOG_KEYS = [
    "step", "r_global", "fiedler_value", "spectral_gap", "h_rec", "gate_open", "refusal", "w_valid",
    "eigval_ordered", "u_total", "c_micro", "pgbo_u_norm", "pgbo_h_frob", "tcbo_p_h1", "tcbo_gate_open",
]
AUDIO_KEYS = [
    "r_global", "entrainment_intensity", "beat_hz", "pulse_hz", "spatial_angle_deg", "brainwave_band",
    "fiedler_stability", "spectral_gap", "geometry_density", "l16_gate_open", "l16_refusal", "tcbo_p_h1",
    "tcbo_gate_open", "pgbo_u_norm", "pgbo_h_frob", "theurgic_mode", "healing_acceleration",
]


def test_aliases():
    assert bk.RustSSGFEngine is bk.SSGFEngine


# The reference's Python tests (§10.2).


def test_run_returns_one_dict_per_step_with_the_reference_keys():
    logs = bk.RustSSGFEngine(seed=42).run(3)
    assert len(logs) == 3
    assert [list(log) for log in logs] == [LOG_KEYS] * 3
    assert [log["step"] for log in logs] == [0, 1, 2]


def test_outer_step_flags_are_real_bools():
    log = bk.SSGFEngine().outer_step()
    assert log["w_valid"] is True and log["eigval_ordered"] is True
    assert all(type(log[k]) is bool for k in ("gate_open", "refusal", "tcbo_gate_open"))


def test_audio_mapping_keys_and_ranges():
    engine = bk.SSGFEngine()
    engine.run(1)
    audio = engine.audio_mapping()
    assert list(audio) == AUDIO_KEYS
    assert 0.0 <= audio["r_global"] <= 1.0
    assert 0.5 <= audio["beat_hz"] <= 40.0 and 1.0 <= audio["pulse_hz"] <= 20.0
    assert audio["brainwave_band"] in {"delta", "theta", "alpha", "beta", "gamma"}


def test_r_global_and_step_count():
    engine = bk.SSGFEngine()
    assert 0.0 <= engine.r_global() <= 1.0
    assert engine.step_count() == 0
    assert engine.run(0) == []
    engine.run(5)
    assert engine.step_count() == 5


def test_injected_p_h1_persists_and_opens_the_gate():
    engine = bk.SSGFEngine()
    engine.set_tcbo_p_h1(0.85)
    log = engine.run(1)[0]
    assert log["tcbo_p_h1"] == pytest.approx(0.85, abs=1e-12) and log["tcbo_gate_open"] is True
    assert engine.outer_step()["tcbo_p_h1"] == pytest.approx(0.85, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"omega": [1.0, 2.0]}, "omega must have length 16, got 2"),
        ({"k": [0.1] * 10}, "k must have length 256, got 10"),
        ({"n": 4}, "omega must be given when n != 16"),
        ({"n": 0, "omega": [], "k": []}, "n must be >= 1, got 0"),
        ({"n": 65, "omega": [1.0] * 65, "k": [0.0] * 65 * 65}, "n must be <= 64, got 65"),
        ({"omega": [math.nan] + [1.0] * 15}, "omega[0] must be finite, got NaN"),
        ({"lr_z": -1.0}, "lr_z must be finite and >= 0"),
        ({"decoder": "rbff"}, 'decoder must be one of "gram_softplus", "rbf", got "rbff"'),
        ({"decoder": "rbf", "rbf_sigma": 0.0}, "rbf_sigma"),
        ({"gradient_method": "fd"}, "gradient_method must be one of"),
        ({"cost_weights": {"c11": 1.0}}, 'cost_weights has no weight "c11"'),
        ({"cost_weights": {"c7": -1.0}}, "c7"),
        ({"pgbo_kappa": 6.0}, "pgbo_kappa must be in [0, 5], got 6"),
        ({"plv_window": 0}, "plv_window"),
        ({"dt_micro": 0.0}, "dt_micro must be finite and > 0"),
        ({"pgbo_u_cap": 1e77}, "5 * pgbo_u_cap^2 must be small enough"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        bk.SSGFEngine(**kwargs)


def test_negative_sizes_are_overflow_errors():
    with pytest.raises(OverflowError):
        bk.SSGFEngine(n=-1)
    with pytest.raises(OverflowError):
        bk.SSGFEngine(seed=-1)


def test_an_overflowing_step_raises_and_keeps_the_steps_before_it():
    # Step 0 succeeds; step 1's z overflows (lr 1e300).
    engine = bk.SSGFEngine(lr_z=1e300)
    with pytest.raises(ValueError, match="numerical error"):
        engine.run(3)
    assert engine.step_count() == 1
    costs = engine.last_costs()
    assert costs is not None and costs["u_total"] == pytest.approx(1.85776, abs=1e-4)
    z = engine.z()
    with pytest.raises(ValueError):
        engine.outer_step()
    assert engine.z() == z and engine.step_count() == 1


def test_p_h1_outside_the_unit_interval_is_rejected():
    engine = bk.SSGFEngine()
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="p_h1 must be in"):
            engine.set_tcbo_p_h1(bad)
    assert engine.outer_step()["tcbo_p_h1"] == 0.0


# Golden values measured on the reference (§10.3, §8.4, §8.5).


def test_initial_state_matches_the_reference():
    engine = bk.SSGFEngine(c9_gradient="reference")
    z, theta, w = engine.z(), engine.theta(), engine.w()
    assert len(z) == 120 and len(theta) == 16 and len(w) == 256
    assert z[:4] == pytest.approx([-0.4999999975358901, 0.12516277981195145, 0.043262100969348016, -0.342841565987442], abs=1e-15)
    assert z[119] == pytest.approx(-0.1206948702053241, abs=1e-15)
    assert theta[:3] == pytest.approx([5.6373784963976314, 4.922748747607568, 2.812819164422284], abs=1e-14)
    assert w[1] == pytest.approx(0.4740769851104084, abs=1e-15)
    assert w[8 * 16 + 9] == pytest.approx(0.9361100009996312, abs=1e-15)
    audio = engine.audio_mapping()
    assert audio["r_global"] == pytest.approx(0.2244867095174256, abs=1e-12)
    assert audio["beat_hz"] == pytest.approx(8.748064117647095, abs=1e-10)
    assert audio["brainwave_band"] == "alpha"
    assert audio["pulse_hz"] == pytest.approx(4.8011440870437365, abs=1e-10)
    assert audio["spatial_angle_deg"] == pytest.approx(235.10523344047937, abs=1e-9)
    assert audio["geometry_density"] == 1.0


@pytest.mark.parametrize("warm", [True, False])
def test_first_three_steps_match_the_reference(warm):
    engine = bk.SSGFEngine(c9_gradient="reference", eigen_warm_start=warm)
    logs = engine.run(3)
    expected = [
        (0.27956205534573486, 1.8577638781406716, 0.9928209390218301, 34.71486487022187, 0.0),
        (0.31235461184835267, 2.2082734887603213, 0.9928220140337379, 34.92853411547344, 9.627346006257165),
        (0.24602315747267153, 2.2180359324129655, 0.9928230890102208, 35.02198287995324, 9.626982914108314),
    ]
    for log, (r, u, fiedler, h_rec, u_norm) in zip(logs, expected):
        assert log["r_global"] == pytest.approx(r, abs=1e-9)
        assert log["u_total"] == pytest.approx(u, abs=1e-9)
        assert log["fiedler_value"] == pytest.approx(fiedler, abs=1e-12)
        assert log["h_rec"] == pytest.approx(h_rec, abs=1e-8)
        assert log["pgbo_u_norm"] == pytest.approx(u_norm, abs=1e-9)
    assert engine.z()[:4] == pytest.approx(
        [-0.5000214753187969, 0.12511447827881342, 0.043218273167034735, -0.3428682834559885], abs=1e-12
    )
    audio = engine.audio_mapping()
    assert audio["brainwave_band"] == "gamma"
    assert audio["beat_hz"] == pytest.approx(39.78394953434019, abs=1e-8)


def test_step_zero_cost_breakdown():
    engine = bk.SSGFEngine(c9_gradient="reference")
    assert engine.last_costs() is None
    engine.outer_step()
    costs = engine.last_costs()
    expected = {
        "c_micro": 0.7204379446542651, "c7_symbolic": 1.6562478168584125, "c8_phase": 0.0022667224015849047,
        "c9_memory": 0.11408949207415695, "c10_boundary": 0.0, "r_graph": 1.3018410992189358,
        "c4_tcbo": 0.5184, "c_pgbo": 0.0, "u_total": 1.8577638781406716,
    }
    assert costs == pytest.approx(expected, abs=1e-9)


def test_exact_c9_gradient_differs_from_the_reference_only_in_row_8():
    exact, reference = bk.SSGFEngine(), bk.SSGFEngine(c9_gradient="reference")
    exact.outer_step()
    reference.outer_step()
    diff = [abs(a - b) for a, b in zip(exact.z(), reference.z())]
    row_8 = {k for k in range(120) if 8 in _pair(k)}
    assert max(d for k, d in enumerate(diff) if k not in row_8) == 0.0
    assert min(d for k, d in enumerate(diff) if k in row_8) > 0.0


def _pair(k: int, n: int = 16) -> tuple[int, int]:
    for i in range(n):
        for j in range(i + 1, n):
            if k == 0:
                return i, j
            k -= 1
    raise ValueError(k)


def test_finite_difference_gradient_matches_the_reference_first_step():
    engine = bk.SSGFEngine(gradient_method="finite_difference", c9_gradient="reference")
    engine.outer_step()
    assert engine.z()[:4] == pytest.approx(
        [-0.502403714196494, 0.1263969175501778, 0.043808087971180076, -0.34278541383651295], abs=1e-9
    )


def test_rbf_decoder_matches_the_reference():
    engine = bk.SSGFEngine(decoder="rbf")
    assert engine.w()[1] == pytest.approx(0.6875093979460858, abs=1e-15)
    assert engine.eigenvalues()[1] == pytest.approx(0.9390526445473105, abs=1e-12)
    log = engine.outer_step()
    assert log["u_total"] == pytest.approx(2.2128886381711164, abs=1e-9)
    assert engine.last_costs()["c7_symbolic"] == pytest.approx(2.4038244455338567, abs=1e-9)


@pytest.mark.parametrize(("n", "u_total"), [(1, 0.16552)])
def test_small_n(n, u_total):
    engine = bk.SSGFEngine(omega=[1.0] * n, k=[0.1] * (n * n), n=n)
    log = engine.outer_step()
    assert log["u_total"] == pytest.approx(u_total, abs=1e-5)
    assert log["gate_open"] is True


def test_small_graphs_run():
    for n in (2, 3, 8):
        engine = bk.SSGFEngine(omega=[1.0] * n, k=[0.1] * (n * n), n=n)
        log = engine.outer_step()
        assert log["w_valid"] and log["eigval_ordered"]
    two = bk.SSGFEngine(omega=[1.0] * 2, k=[0.1] * 4, n=2)
    assert two.eigenvalues()[1] == pytest.approx(2.0, abs=1e-12)
    assert two.outer_step()["spectral_gap"] == 0.0


def test_state_accessors():
    engine = bk.SSGFEngine()
    assert engine.n == 16 and engine.pgbo_kappa == pytest.approx(0.3)
    vals, vecs = engine.eigenvalues(), engine.eigenvectors()
    assert vals == sorted(vals) and len(vecs) == 256
    # Columns are unit eigenvectors.
    for c in range(16):
        assert sum(vecs[r * 16 + c] ** 2 for r in range(16)) == pytest.approx(1.0, abs=1e-12)
    engine.run(1)
    assert engine.pgbo_kappa == pytest.approx(0.2868, abs=1e-4)
    assert "SSGFEngine(n=16, seed=42, step_count=1)" == repr(engine)


def test_same_seed_same_run_and_other_seed_differs():
    a, b, c = bk.SSGFEngine(seed=7), bk.SSGFEngine(seed=7), bk.SSGFEngine(seed=8)
    assert a.run(3) == b.run(3)
    assert a.z() != c.z()


def test_scrambled_seeds_and_eigen_convergence_are_visible():
    plain, scrambled = bk.SSGFEngine(seed=1), bk.SSGFEngine(seed=1, scramble_seed=True)
    assert plain.z() != scrambled.z()
    assert bk.SSGFEngine(seed=1, scramble_seed=True).z() == scrambled.z()
    assert bk.SSGFEngine(seed=42).z() == bk.SSGFEngine().z()  # default: the reference's stream
    engine = bk.SSGFEngine()
    assert engine.eigen_converged() and 1 <= engine.jacobi_sweeps() <= 50
    engine.outer_step()
    warm = engine.jacobi_sweeps()
    cold = bk.SSGFEngine(eigen_warm_start=False)
    cold.outer_step()
    assert engine.eigen_converged() and warm < cold.jacobi_sweeps()
