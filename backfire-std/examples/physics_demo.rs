//! Oscillators synchronising: the UPDE stepper on two models, with the
//! Kuramoto order parameter R printed as a terminal chart and drawn into an
//! SVG file.
//!
//! ```text
//! cargo run -p backfire-std --example physics_demo -- [out.svg]
//! ```
//!
//! 1. **Strong uniform coupling** — 16 oscillators with nearly equal
//!    frequencies, all-to-all coupling K = 0.05, started from spread-out
//!    phases: R climbs from disorder to ≈ 1 within a few seconds.
//! 2. **The canonical 16-layer model** (ω from 0.003 to 251 rad/s, the
//!    calibrated K, F = 0.1, σ = 0.05): the fast layers cannot lock, so R
//!    wanders in the middle range.
//!
//! Both runs are seeded, so the output is the same every time.

use std::fmt::Write as _;
use std::path::PathBuf;

use backfire_std::BackfireResult;
use backfire_std::physics::{OMEGA_N, UPDEState, UPDEStepper};

const STEPS: usize = 1000;
const DT: f64 = 0.01;

struct Series {
    label: &'static str,
    colour: &'static str,
    mark: char,
    r: Vec<f64>,
}

fn run(stepper: &mut UPDEStepper, start: UPDEState) -> BackfireResult<Vec<f64>> {
    let mut r = Vec::with_capacity(STEPS + 1);
    r.push(start.r_global);
    let mut state = start;
    for _ in 0..STEPS {
        state = stepper.step(&state)?;
        r.push(state.r_global);
    }
    Ok(r)
}

fn strong_coupling() -> BackfireResult<Series> {
    let omega: Vec<f64> = (0..16).map(|i| 1.0 + 0.2 * (f64::from(i) - 7.5) / 7.5).collect();
    let knm = vec![0.05; 256];
    let mut stepper = UPDEStepper::with_params(&omega, &knm, DT, 0.0, 0.05, Some(7))?;
    let r = run(&mut stepper, UPDEState::random(Some(11)))?;
    Ok(Series { label: "uniform K = 0.05, near-equal ω", colour: "#1f77b4", mark: '#', r })
}

fn canonical() -> BackfireResult<Series> {
    let mut stepper = UPDEStepper::new(DT, 0.1, 0.05, Some(42))?;
    let r = run(&mut stepper, UPDEState::random(Some(11)))?;
    Ok(Series { label: "canonical 16-layer model", colour: "#d62728", mark: 'o', r })
}

/// A character chart: time across, R up (0 at the bottom, 1 at the top).
fn terminal_chart(series: &[Series]) -> String {
    const WIDTH: usize = 72;
    const HEIGHT: usize = 16;
    let mut grid = vec![vec![' '; WIDTH]; HEIGHT];
    for s in series {
        for (col, row_cells) in (0..WIDTH).map(|c| (c, c * STEPS / (WIDTH - 1))) {
            let r = s.r[row_cells].clamp(0.0, 1.0);
            let row = HEIGHT - 1 - ((r * (HEIGHT - 1) as f64).round() as usize).min(HEIGHT - 1);
            grid[row][col] = s.mark;
        }
    }
    let mut out = String::new();
    for (i, row) in grid.iter().enumerate() {
        let axis = match i {
            0 => "1.0 |",
            _ if i == HEIGHT / 2 => "0.5 |",
            _ if i == HEIGHT - 1 => "0.0 |",
            _ => "    |",
        };
        let _ = writeln!(out, "{axis}{}", row.iter().collect::<String>());
    }
    let _ = writeln!(out, "    +{}", "-".repeat(WIDTH));
    let _ =
        writeln!(out, "     t = 0 s{:>width$}", format!("t = {:.0} s", STEPS as f64 * DT), width = WIDTH - 9);
    out
}

/// A self-contained SVG line plot of R(t).
fn svg(series: &[Series]) -> String {
    let (w, h) = (900.0, 420.0);
    let (left, right, top, bottom) = (70.0, 30.0, 50.0, 60.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let x = |step: usize| left + pw * step as f64 / STEPS as f64;
    let y = |r: f64| top + ph * (1.0 - r.clamp(0.0, 1.0));
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(out, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="28" text-anchor="middle" font-size="16">UPDE: Kuramoto order parameter R over time (dt = {DT} s, seeded)</text>"#,
        w / 2.0
    );
    for tick in 0..=4 {
        let r = f64::from(tick) / 4.0;
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{r:.2}</text>"##,
            yy = y(r),
            x2 = left + pw,
            tx = left - 8.0,
            ty = y(r) + 4.0
        );
    }
    for tick in 0..=5 {
        let step = tick * STEPS / 5;
        let _ = writeln!(
            out,
            r#"<text x="{xx:.1}" y="{ty}" text-anchor="middle">{t:.0} s</text>"#,
            xx = x(step),
            ty = top + ph + 20.0,
            t = step as f64 * DT
        );
    }
    let _ = writeln!(
        out,
        r#"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/><text x="{}" y="{}" text-anchor="middle">time</text><text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle">R</text>"#,
        left + pw / 2.0,
        h - 15.0,
        top + ph / 2.0,
        top + ph / 2.0
    );
    for (i, s) in series.iter().enumerate() {
        let points: Vec<String> =
            s.r.iter().enumerate().map(|(k, &r)| format!("{:.1},{:.1}", x(k), y(r))).collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"/>"#,
            s.colour,
            points.join(" ")
        );
        let ly = top + ph - 40.0 + 20.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{lx}" y1="{ly}" x2="{lx2}" y2="{ly}" stroke="{c}" stroke-width="3"/><text x="{tx}" y="{ty}">{label}</text>"#,
            lx = left + pw - 250.0,
            lx2 = left + pw - 225.0,
            c = s.colour,
            tx = left + pw - 218.0,
            ty = ly + 4.0,
            label = s.label
        );
    }
    out.push_str("</svg>\n");
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path =
        std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(|| "target/demo/upde_sync.svg".into());
    let series = [strong_coupling()?, canonical()?];

    println!("UPDE stepper, {STEPS} steps of dt = {DT} s, seeded noise (σ = 0.05)\n");
    for s in &series {
        println!("  {} {}", s.mark, s.label);
    }
    println!();
    print!("{}", terminal_chart(&series));
    println!();
    println!("{:>6} | {:>28} | {:>26}", "t (s)", series[0].label, series[1].label);
    for k in (0..=STEPS).step_by(STEPS / 10) {
        println!("{:>6.1} | {:>28.4} | {:>26.4}", k as f64 * DT, series[0].r[k], series[1].r[k]);
    }
    println!(
        "\nCanonical ω spans {:.3}..{:.3} rad/s, so only the slow layers can lock.",
        OMEGA_N.iter().copied().fold(f64::INFINITY, f64::min),
        OMEGA_N.iter().copied().fold(0.0, f64::max)
    );

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, svg(&series))?;
    println!("Wrote {}", path.display());
    Ok(())
}
