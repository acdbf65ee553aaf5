//! The training estimator against published trainings (exact inputs), its defaults, its errors,
//! and its physical properties.

use proptest::prelude::*;
use sustain_core::hardware::AcceleratorCatalog;
use sustain_core::site::SiteCatalog;
use sustain_estimate::EstimateError;
use sustain_estimate::train::{Catalogs, TrainRequest, estimate_train};

fn with<R>(f: impl FnOnce(Catalogs<'_>) -> R) -> R {
    let sites = SiteCatalog::bundled().unwrap();
    let hardware = AcceleratorCatalog::bundled().unwrap();
    f(Catalogs {
        sites: &sites,
        hardware: &hardware,
    })
}

fn req(pairs: &[(&str, &str)]) -> TrainRequest {
    let mut r = TrainRequest::default();
    for (k, v) in pairs {
        r.set(k, v).unwrap();
    }
    r
}

fn within(actual: f64, expected: f64, tolerance: f64) -> bool {
    ((actual - expected) / expected).abs() <= tolerance
}

/// Published trainings with their exact inputs: energy and carbon within 1 %.
#[test]
fn published_trainings_with_exact_inputs() {
    with(|cat| {
        // Llama 2 70B (Meta model card): 1,720,320 A100-80GB GPU-hours at 400 W, 291.42 tCO2e;
        // the card's per-model rows all imply 423.5 gCO2e/kWh with no PUE.
        let e = estimate_train(
            &req(&[
                ("hardware", "a100-80gb"),
                ("devices", "2048"),
                ("device-hours", "1720320"),
                ("power-w", "400"),
                ("pue", "1"),
                ("intensity", "423.5"),
            ]),
            cat,
        )
        .unwrap();
        assert!(within(e.energy.kwh(), 688_128.0, 1e-9));
        assert!(
            within(e.co2e_location.kg() / 1000.0, 291.42, 0.01),
            "{}",
            e.co2e_location.kg()
        );

        // BLOOM 176B (Luccioni et al. 2022): 1,082,990 GPU-hours, 433,196 kWh, 57 g/kWh, 24.7 t.
        let e = estimate_train(
            &req(&[
                ("hardware", "a100-80gb"),
                ("devices", "384"),
                ("device-hours", "1082990"),
                ("power-w", "400"),
                ("pue", "1"),
                ("intensity", "57"),
            ]),
            cat,
        )
        .unwrap();
        assert!(
            within(e.energy.kwh(), 433_196.0, 0.01),
            "{}",
            e.energy.kwh()
        );
        assert!(within(e.co2e_location.kg() / 1000.0, 24.7, 0.01));

        // GPT-3 175B (Patterson et al. 2021): 10,000 V100 for 14.8 days at 330 W, PUE 1.1,
        // 429 gCO2e/kWh: 1,287 MWh and 552 tCO2e.
        let e = estimate_train(
            &req(&[
                ("hardware", "v100"),
                ("devices", "10000"),
                ("days", "14.8"),
                ("power-w", "330"),
                ("pue", "1.1"),
                ("intensity", "429"),
            ]),
            cat,
        )
        .unwrap();
        assert!(
            within(e.energy.kwh() / 1000.0, 1287.0, 0.01),
            "{}",
            e.energy.kwh()
        );
        assert!(within(e.co2e_location.kg() / 1000.0, 552.0, 0.01));
        assert!(within(e.days, 14.8, 1e-9));
    });
}

/// From parameters and tokens with only the defaults, device-hours land within a factor of
/// 1.6 of the published ones.
#[test]
fn defaults_put_device_hours_in_the_right_range() {
    with(|cat| {
        for (params, tokens, hw, devices, published) in [
            ("70e9", "2e12", "a100-80gb", "2048", 1_720_320.0), // Llama 2 70B
            ("405e9", "15.6e12", "h100-sxm", "16384", 30.84e6), // Llama 3.1 405B
            ("175e9", "300e9", "v100", "10000", 3_552_000.0),   // GPT-3
        ] {
            let e = estimate_train(
                &req(&[
                    ("params", params),
                    ("tokens", tokens),
                    ("hardware", hw),
                    ("devices", devices),
                ]),
                cat,
            )
            .unwrap();
            let ratio = e.device_hours / published;
            assert!(
                (1.0 / 1.6..=1.6).contains(&ratio),
                "{params} on {hw}: {} vs {published}",
                e.device_hours
            );
        }
    });
}

#[test]
fn inputs_record_their_origin_and_defaults_are_listed() {
    with(|cat| {
        let e = estimate_train(
            &req(&[
                ("params", "7B"),
                ("tokens", "1T"),
                ("hardware", "h100-sxm"),
                ("devices", "64"),
                ("site", "FR"),
            ]),
            cat,
        )
        .unwrap();
        let j = e.to_json();
        for key in [
            "flops",
            "device_hours",
            "days",
            "it_energy_kwh",
            "energy_kwh",
            "co2e_kg",
            "embodied_co2e_kg",
            "water_l",
            "cost",
            "inputs",
            "assumptions",
        ] {
            assert!(j.get(key).is_some(), "{key}");
        }
        assert_eq!(j["flops"], 6.0 * 7e9 * 1e12);
        let origin = |name: &str| {
            e.inputs
                .get(name)
                .map(|i| serde_json::to_value(&i.origin).unwrap())
        };
        assert_eq!(origin("intensity").unwrap(), "site");
        assert_eq!(origin("efficiency").unwrap(), "catalog");
        assert_eq!(
            origin("pue").unwrap(),
            "default",
            "FR is a grid region: industry PUE"
        );
        assert_eq!(origin("power-w").unwrap(), "catalog");
        assert!(e.assumptions.iter().any(|a| a.contains("grid region")));
        assert!(j["co2e_kg"]["market"].is_null());
        assert!(e.embodied.unwrap().kg() > 0.0);
        // Energy identity: facility = IT x PUE.
        assert!(within(e.energy.kwh(), e.it_energy.kwh() * 1.56, 1e-12));
    });
}

#[test]
fn bad_inputs_name_the_fix() {
    with(|cat| {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("devices", "8"), ("days", "1")], "--hardware"),
            (&[("hardware", "a100-80gb"), ("days", "1")], "--devices"),
            (
                &[("hardware", "a100-80gb"), ("devices", "0"), ("days", "1")],
                "whole number >= 1",
            ),
            (
                &[("hardware", "a100-80gb"), ("devices", "8")],
                "training length",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("days", "1"),
                    ("device-hours", "10"),
                ],
                "give one of",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("days", "1"),
                    ("params", "7B"),
                    ("tokens", "1T"),
                ],
                "one way in",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("params", "7B"),
                ],
                "--tokens",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("params", "7B"),
                    ("tokens", "1T"),
                    ("efficiency", "-0.1"),
                ],
                "(0, 1]",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("params", "7B"),
                    ("tokens", "1T"),
                    ("efficiency", "1.5"),
                ],
                "(0, 1]",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("params", "7B"),
                    ("tokens", "1T"),
                    ("precision", "fp8"),
                ],
                "a100-80gb supports",
            ),
            (
                &[("hardware", "a100"), ("devices", "8"), ("days", "1")],
                "did you mean",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("days", "1"),
                    ("site", "Atlantis"),
                ],
                "unknown site",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("params", "7B"),
                    ("active-params", "8B"),
                    ("tokens", "1T"),
                ],
                "at most --params",
            ),
            (
                &[("hardware", "tpu-v5e"), ("devices", "8"), ("days", "1")],
                "--power-w",
            ),
            (
                &[
                    ("hardware", "a100-80gb"),
                    ("devices", "8"),
                    ("days", "1"),
                    ("pue", "0.8"),
                ],
                "PUE",
            ),
            (
                &[("hardware", "a100-80gb"), ("devices", "8"), ("days", "-1")],
                "greater than 0",
            ),
        ];
        for (pairs, needle) in cases {
            let err = estimate_train(&req(pairs), cat).unwrap_err().to_string();
            assert!(err.contains(needle), "{pairs:?}: {err}");
        }
        let mut r = TrainRequest::default();
        assert!(matches!(
            r.set("devices", "many"),
            Err(EstimateError::Parse(_))
        ));
        assert!(
            r.set("colour", "red")
                .unwrap_err()
                .to_string()
                .contains("unknown input")
        );
        assert!(r.set("days", "inf").is_err());
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn doubling_devices_halves_days_and_keeps_energy(
        params in 1e8f64..1e12, tokens in 1e9f64..2e13, devices in 1u32..5000,
    ) {
        with(|cat| {
            let base = [("hardware", "h100-sxm"), ("pue", "1.2"), ("intensity", "300")];
            let mut a = req(&base);
            a.params = Some(params); a.tokens = Some(tokens); a.devices = Some(f64::from(devices));
            let mut b = a.clone();
            b.devices = Some(f64::from(devices) * 2.0);
            let (ea, eb) = (estimate_train(&a, cat).unwrap(), estimate_train(&b, cat).unwrap());
            prop_assert!(within(eb.days * 2.0, ea.days, 1e-9));
            prop_assert!(within(eb.energy.kwh(), ea.energy.kwh(), 1e-9));
            prop_assert!(within(eb.co2e_location.kg(), ea.co2e_location.kg(), 1e-9));
            Ok(())
        })?;
    }

    #[test]
    fn carbon_is_linear_in_intensity_and_pue_and_never_negative(
        hours in 0.01f64..1e5, devices in 1u32..1000, intensity in 0f64..1500.0,
        pue in 1f64..3.0, k in 1f64..4.0,
    ) {
        with(|cat| {
            let mut a = req(&[("hardware", "a100-80gb")]);
            a.hours = Some(hours); a.devices = Some(f64::from(devices));
            a.site.intensity = Some(intensity); a.site.pue = Some(pue);
            let ea = estimate_train(&a, cat).unwrap();
            let mut b = a.clone();
            b.site.intensity = Some(intensity * k);
            let eb = estimate_train(&b, cat).unwrap();
            let mut c = a.clone();
            c.site.pue = Some(pue * k);
            let ec = estimate_train(&c, cat).unwrap();
            let g = ea.co2e_location.kg();
            prop_assert!(g >= 0.0 && ea.energy.kwh() >= 0.0 && ea.water.litres() >= 0.0);
            prop_assert!((eb.co2e_location.kg() - k * g).abs() <= 1e-9 * (1.0 + k * g));
            prop_assert!((ec.co2e_location.kg() - k * g).abs() <= 1e-9 * (1.0 + k * g));
            prop_assert!((ec.energy.kwh() - k * ea.energy.kwh()).abs() <= 1e-9 * (1.0 + k * ea.energy.kwh()));
            let j = serde_json::to_string(&ea.to_json()).unwrap();
            prop_assert!(!j.contains("NaN") && !j.contains("inf"));
            Ok(())
        })?;
    }
}

/// Absurd but finite inputs give finite figures or a clear error, never a panic, NaN or infinity.
#[test]
fn extreme_inputs_never_give_nan_or_infinity() {
    with(|cat| {
        for pairs in [
            &[
                ("hardware", "h100-sxm"),
                ("devices", "1"),
                ("flops", "1e40"),
            ][..],
            &[
                ("hardware", "h100-sxm"),
                ("devices", "1000000000"),
                ("params", "1e3"),
                ("tokens", "1"),
            ][..],
            &[
                ("hardware", "a100-80gb"),
                ("devices", "1"),
                ("device-hours", "1e300"),
            ][..],
        ] {
            match estimate_train(&req(pairs), cat) {
                Ok(e) => {
                    let j = serde_json::to_string(&e.to_json()).unwrap();
                    assert!(
                        !j.contains("null") || j.contains("\"market\":null"),
                        "{pairs:?}: {j}"
                    );
                    assert!(
                        e.energy.kwh().is_finite() && e.flops.is_finite(),
                        "{pairs:?}"
                    );
                }
                Err(err) => assert!(err.to_string().contains("finite"), "{pairs:?}: {err}"),
            }
        }
        let err = estimate_train(
            &req(&[
                ("hardware", "a100-80gb"),
                ("devices", "1"),
                ("device-hours", "1e300"),
            ]),
            cat,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("70e9"), "{err}");
    });
}
