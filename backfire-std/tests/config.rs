//! Loading configurations: spec/10 §2 and §8.1, with our stricter parsing.

use backfire_std::{BackfireConfig, BackfireError};

const FULL: &str = r#"{"coherence_threshold":0.7,"hard_limit":0.4,"soft_limit":0.8,"w_logic":0.6,"w_fact":0.4,
    "window_size":10,"window_threshold":0.55,"trend_window":5,"trend_threshold":0.15,"history_window":5,
    "deadline_ms":50,"logit_entropy_limit":1.2}"#;

fn json_error(text: &str) -> String {
    BackfireConfig::from_json(text).unwrap_err().to_string()
}

#[test]
fn full_object_loads_its_values() {
    let c = BackfireConfig::from_json(FULL).unwrap();
    assert_eq!((c.coherence_threshold, c.hard_limit, c.soft_limit), (0.7, 0.4, 0.8));
}

#[test]
fn malformed_text_is_a_config_error() {
    for text in ["{invalid}", "{invalid json", "", "[1, 2]", "null"] {
        let e = BackfireConfig::from_json(text).unwrap_err();
        assert!(matches!(e, BackfireError::Config(_)), "{text:?}");
        assert!(e.to_string().starts_with("config error: JSON parse error: "), "{e}");
    }
}

#[test]
fn missing_keys_take_defaults() {
    // Deviation: the reference rejected a missing key.
    let c = BackfireConfig::from_json(r#"{"hard_limit": 0.3}"#).unwrap();
    assert_eq!(c, BackfireConfig { hard_limit: 0.3, ..Default::default() });
    assert_eq!(BackfireConfig::from_json("{}").unwrap(), BackfireConfig::default());
}

#[test]
fn unknown_keys_are_rejected() {
    // Deviation: the reference ignored them, so a typo silently kept a default.
    let e = json_error(r#"{"hard_limt": 0.3}"#);
    assert!(e.starts_with("config error: JSON parse error: unknown field `hard_limt`"), "{e}");
}

#[test]
fn integer_fields_reject_floats_negatives_and_null() {
    for text in [
        r#"{"window_size": 10.0}"#,
        r#"{"window_size": -1}"#,
        r#"{"deadline_ms": 1.5}"#,
        r#"{"history_window": null}"#,
        r#"{"hard_limit": null}"#,
        r#"{"hard_limit": "0.5"}"#,
    ] {
        assert!(json_error(text).starts_with("config error: JSON parse error: invalid"), "{text}");
    }
}

#[test]
fn integers_are_accepted_for_float_fields() {
    let c =
        BackfireConfig::from_json(r#"{"coherence_threshold": 1, "soft_limit": 1, "hard_limit": 0}"#).unwrap();
    assert_eq!((c.coherence_threshold, c.soft_limit, c.hard_limit), (1.0, 1.0, 0.0));
}

#[test]
fn parsing_also_validates() {
    assert_eq!(
        json_error(r#"{"coherence_threshold": 5}"#),
        "config error: coherence_threshold must be in [0, 1], got 5"
    );
}

#[test]
fn toml_loads_validates_and_reports_like_json() {
    let c = BackfireConfig::from_toml(
        "hard_limit = 0.25\nwindow_size = 3\ncoherence_threshold = 1\nsoft_limit = 1",
    )
    .unwrap();
    assert_eq!((c.hard_limit, c.window_size, c.coherence_threshold), (0.25, 3, 1.0));
    for text in
        ["window_size = 3.0", "window_size = -3", "hard_limt = 0.3", "hard_limit = ", "[section]\nx = 1"]
    {
        let e = BackfireConfig::from_toml(text).unwrap_err().to_string();
        assert!(e.starts_with("config error: TOML parse error: "), "{text}: {e}");
    }
    assert_eq!(
        BackfireConfig::from_toml("hard_limit = nan").unwrap_err().to_string(),
        "config error: hard_limit must be in [0, 1], got NaN"
    );
}

#[test]
fn json_refuses_to_write_what_it_cannot_read_back() {
    let c = BackfireConfig { trend_threshold: f64::NAN, ..Default::default() };
    let e = c.to_json().unwrap_err().to_string();
    assert_eq!(e, "config error: JSON cannot represent trend_threshold = NaN, which must be finite");
}

#[test]
fn round_trips_through_both_formats() {
    let c = BackfireConfig { window_size: 7, w_logic: 0.25, w_fact: 0.75, ..Default::default() };
    assert_eq!(BackfireConfig::from_json(&c.to_json().unwrap()).unwrap(), c);
    assert_eq!(BackfireConfig::from_toml(&c.to_toml().unwrap()).unwrap(), c);
}
