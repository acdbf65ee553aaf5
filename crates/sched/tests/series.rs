//! Intensity series as users have them: the shared 2020 series, Electricity Maps' CSV exports,
//! the UK Carbon Intensity API's JSON, and the ways a file can be wrong, each named.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use sustain_sched::series::{Factors, Format, IntensitySource, ReadOptions, Series};

/// The project's shared series (Wiesner et al., "Let's Wait Awhile", Middleware '21).
const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/carbon-intensity"
);
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn shared(name: &str) -> PathBuf {
    Path::new(SHARED).join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(DATA).join(name)
}

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// Writes `content` to a file named `name` in a fresh directory (kept alive by the guard).
fn write(name: &str, content: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    (dir, path)
}

fn err(path: &Path, step: u32) -> String {
    Series::read(path, step).unwrap_err().to_string()
}

/// The mean of the 48 slots of `day` in a 30-minute series.
fn day_mean(s: &Series, day: &str) -> f64 {
    let from = (t(&format!("{day} 00:00")) - s.start).num_minutes() / 30;
    let slots = &s.values[from as usize..from as usize + 48];
    slots.iter().sum::<f64>() / 48.0
}

fn series_source(s: &Series) -> (&Format, &str, Option<Factors>, usize, u32, usize) {
    match &s.source {
        IntensitySource::Series {
            format,
            column,
            factors,
            forecast_entries,
            native_step_min,
            partial_slots,
            ..
        } => (
            format,
            column.as_str(),
            *factors,
            *forecast_entries,
            *native_step_min,
            *partial_slots,
        ),
        other => panic!("not a series: {other:?}"),
    }
}

// The expected slot counts and day means below were computed independently of this crate, in
// Python (csv and statistics modules only): each sample is put in the 30-minute slot its time
// falls in, counted from 2019-12-20 00:00 (every file's first sample); a slot's value is the
// plain mean of its samples; the count runs to the slot of the last sample; the day's mean is
// the mean of its 48 slots. Every slot of these days has all its samples (two a slot for the
// 15-minute parts), so the plain means equal the time-weighted ones the reader computes.
//
//     import csv, datetime as dt, statistics as st
//     rows = [(dt.datetime.fromisoformat(t), float(v)) for t, v in list(csv.reader(open(f)))[1:]]
//     o = dt.datetime(2019, 12, 20)
//     slot = lambda t: int((t - o).total_seconds() // 1800)
//     bins = {}
//     for t, v in rows: bins.setdefault(slot(t), []).append(v)
//     d0 = slot(dt.datetime.fromisoformat(day))
//     print(slot(rows[-1][0]) + 1, st.fmean(st.fmean(bins[i]) for i in range(d0, d0 + 48)))

#[test]
fn the_shared_series_read_at_30_min_with_their_slots_and_a_known_days_mean() {
    for (file, slots, day, mean, native) in [
        // Last sample 2021-01-09 23:30.
        ("gb_2020.csv", 18576, "2020-11-15", 140.9341832166, 30),
        // Last sample 2021-01-09 22:30.
        ("fr_2020.csv", 18574, "2020-06-15", 59.7115242750, 30),
        // Last sample 2021-01-09 23:00.
        ("ger_2020.csv", 18575, "2020-03-01", 169.9266988744, 15),
    ] {
        let s = Series::read(&shared(file), 30).unwrap();
        assert_eq!(s.start, t("2019-12-20 00:00"), "{file}");
        assert_eq!(s.values.len(), slots, "{file}");
        let m = day_mean(&s, day);
        assert!((m - mean).abs() < 1e-6, "{file} {day}: {m} != {mean}");
        let (format, column, factors, _, step, _) = series_source(&s);
        assert_eq!(*format, Format::TimeCarbonIntensity);
        assert_eq!(column, "Carbon Intensity");
        assert_eq!(factors, Some(Factors::LifeCycle));
        assert_eq!(step, native, "{file}");
    }
}

#[test]
fn great_britain_reads_across_its_step_change_on_2020_10_31() {
    // 30-minute samples until 2020-10-31 00:00, 15-minute ones after (with 23:15 and 23:45 of
    // that day missing).
    let s = Series::read(&shared("gb_2020.csv"), 30).unwrap();
    let slot = |at: &str| s.values[((t(at) - s.start).num_minutes() / 30) as usize];
    // 2020-10-30 23:30 (one 30-minute sample, line 15169) and 2020-11-01 00:00 (00:00 and 00:15,
    // lines 15264-15265) as in the file.
    assert!((slot("2020-10-30 23:30") - 167.21313692344845).abs() < 1e-9);
    assert!(
        (slot("2020-11-01 00:00") - (150.76706084712964 + 143.03589788655037) / 2.0).abs() < 1e-9
    );
    // The 23:00 slot of 2020-10-31 has its 23:00 sample only: a partial slot, counted.
    assert!((slot("2020-10-31 23:00") - 162.99342964413972).abs() < 1e-9);
    let (.., partial) = series_source(&s);
    assert_eq!(
        partial, 3,
        "2020-10-31 23:00 and 23:30, 2021-01-09 23:00 (23:15 missing)"
    );
    // At 15 minutes the hole in the 15-minute part is a gap, named with its lines.
    let e = err(&shared("gb_2020.csv"), 15);
    assert!(
        e.contains("gb_2020.csv")
            && e.contains("gap")
            && e.contains("no sample covers 2020-10-31 23:15")
            && e.contains("2020-10-31 23:00 (line 15262)")
            && e.contains("2020-10-31 23:30 (line 15263)"),
        "{e}"
    );
}

#[test]
fn germany_at_15_min_names_its_gap_of_2020_12_19() {
    let e = err(&shared("ger_2020.csv"), 15);
    assert!(
        e.contains("ger_2020.csv")
            && e.contains("no sample covers 2020-12-19 23:15")
            && e.contains("the series' step there is 15 min")
            && e.contains("2020-12-19 23:00 (line 35134)")
            && e.contains("2020-12-19 23:30 (line 35135)")
            && e.contains("1 more gap after it, at 2020-12-19 23:45"),
        "{e}"
    );
    // At 30 minutes every slot has a sample; the two slots of the hole are partial.
    let s = Series::read(&shared("ger_2020.csv"), 30).unwrap();
    assert_eq!(series_source(&s).5, 2);
}

#[test]
fn electricity_maps_hourly_is_held_over_two_30_minute_slots_life_cycle_by_default() {
    let path = fixture("electricity_maps_2023_hourly.csv");
    let s = Series::read(&path, 30).unwrap();
    assert_eq!(s.start, t("2023-03-01 00:00"));
    // Six hourly rows, 350 to 400 (LCA): each hour twice, the last hour's slot alone.
    assert_eq!(
        s.values,
        [
            350.0, 350.0, 360.0, 360.0, 370.0, 370.0, 380.0, 380.0, 390.0, 390.0, 400.0
        ]
    );
    let (format, column, factors, forecast, step, partial) = series_source(&s);
    assert_eq!(*format, Format::ElectricityMaps);
    assert_eq!(column, "Carbon Intensity gCO₂eq/kWh (LCA)");
    assert_eq!(
        (factors, forecast, step, partial),
        (Some(Factors::LifeCycle), 0, 60, 0)
    );
    // Direct figures when asked for.
    let direct = ReadOptions {
        factors: Some(Factors::Direct),
    };
    let s = Series::read_with(&path, 60, &direct).unwrap();
    assert_eq!(s.values, [300.0, 310.0, 320.0, 330.0, 340.0, 350.0]);
    let (_, column, factors, ..) = series_source(&s);
    assert_eq!(column, "Carbon Intensity gCO₂eq/kWh (direct)");
    assert_eq!(factors, Some(Factors::Direct));
}

#[test]
fn electricity_maps_current_header_reads_too() {
    let s = Series::read(&fixture("electricity_maps_2024_hourly.csv"), 60).unwrap();
    assert_eq!(s.values, [40.0, 41.0, 42.0, 43.0]);
    let (format, column, factors, ..) = series_source(&s);
    assert_eq!(*format, Format::ElectricityMaps);
    assert_eq!(column, "Carbon intensity gCO₂eq/kWh (Life cycle)");
    assert_eq!(factors, Some(Factors::LifeCycle));
}

#[test]
fn the_source_is_serialized_in_kebab_case() {
    let s = Series::read(&fixture("electricity_maps_2024_hourly.csv"), 60).unwrap();
    let v = serde_json::to_value(&s.source).unwrap();
    assert_eq!(v["kind"], "series");
    assert_eq!(v["format"], "electricity-maps");
    assert_eq!(v["factors"], "life-cycle");
    assert_eq!(v["column"], "Carbon intensity gCO₂eq/kWh (Life cycle)");
    assert!(v.get("forecast_entries").is_none() && v.get("partial_slots").is_none());
    let s = Series::read(&fixture("uk_national.json"), 30).unwrap();
    let v = serde_json::to_value(&s.source).unwrap();
    assert_eq!(v["format"], "uk-carbon-intensity-api");
    assert_eq!(v["factors"], "direct");
    assert_eq!(v["forecast_entries"], 3);
}

#[test]
fn an_older_electricity_maps_export_reads_as_life_cycle_and_refuses_direct() {
    let (_d, path) = write(
        "CH.csv",
        "datetime,timestamp,zone_name,carbon_intensity_avg,carbon_intensity_production_avg\n\
         2020-01-01T00:00:00.000Z,1577836800,CH,120.5,60.1\n\
         2020-01-01T01:00:00.000Z,1577840400,CH,130.5,61.1\n\
         2020-01-01T02:00:00.000Z,1577844000,CH,140.5,62.1\n",
    );
    let s = Series::read(&path, 60).unwrap();
    assert_eq!(s.values, [120.5, 130.5, 140.5]);
    let (format, column, factors, ..) = series_source(&s);
    assert_eq!(*format, Format::ElectricityMapsLegacy);
    assert_eq!(column, "carbon_intensity_avg");
    assert_eq!(factors, Some(Factors::LifeCycle));
    let direct = ReadOptions {
        factors: Some(Factors::Direct),
    };
    let e = Series::read_with(&path, 60, &direct)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("direct figures are required") && e.contains("life-cycle"),
        "{e}"
    );
}

#[test]
fn an_electricity_maps_export_holds_one_zone() {
    let (_d, path) = write(
        "two.csv",
        "Datetime (UTC),Zone Id,Carbon Intensity gCO₂eq/kWh (LCA)\n\
         2023-01-01 00:00:00,DE,300\n\
         2023-01-01 01:00:00,FR,40\n",
    );
    let e = err(&path, 60);
    assert!(
        e.contains("line 3") && e.contains("\"FR\"") && e.contains("line 2"),
        "{e}"
    );
}

#[test]
fn the_uk_api_reads_actual_else_forecast_at_30_min() {
    let s = Series::read(&fixture("uk_national.json"), 30).unwrap();
    assert_eq!(s.start, t("2018-01-20 12:00"));
    // Actual where measured (the API's documented example first), forecast for the last three.
    assert_eq!(
        s.values,
        [263.0, 268.0, 277.0, 281.0, 286.0, 280.0, 276.0, 271.0]
    );
    let (format, column, factors, forecast, step, _) = series_source(&s);
    assert_eq!(*format, Format::UkCarbonIntensityApi);
    assert_eq!(column, "intensity.actual, else intensity.forecast");
    assert_eq!((factors, forecast, step), (Some(Factors::Direct), 3, 30));
    // Hourly: two half hours a slot.
    let s = Series::read(&fixture("uk_national.json"), 60).unwrap();
    assert_eq!(s.values, [265.5, 279.0, 283.0, 273.5]);
}

#[test]
fn the_uk_api_regional_answers_read_and_all_regions_at_once_are_refused() {
    let s = Series::read(&fixture("uk_regional_london.json"), 30).unwrap();
    assert_eq!(s.values, [180.0, 176.0, 171.0, 168.0]);
    let (_, column, _, forecast, ..) = series_source(&s);
    assert_eq!((column, forecast), ("intensity.forecast", 4));
    // `/regional/regionid/13`: the region inside an array.
    let entries = r#"[{"from":"2023-01-01T00:00Z","to":"2023-01-01T00:30Z","intensity":{"forecast":180,"index":"moderate"}},
                      {"from":"2023-01-01T00:30Z","to":"2023-01-01T01:00Z","intensity":{"forecast":176,"index":"moderate"}}]"#;
    let (_d, path) = write(
        "now.json",
        format!(
            r#"{{"data":[{{"regionid":13,"dnoregion":"UKPN London","shortname":"London","data":{entries}}}]}}"#
        ),
    );
    assert_eq!(Series::read(&path, 30).unwrap().values, [180.0, 176.0]);
    // Two regions, or every region per entry: one place is needed.
    let (_d, path) = write(
        "two.json",
        format!(
            r#"{{"data":[{{"regionid":13,"shortname":"London","data":{entries}}},{{"regionid":14,"shortname":"South East England","data":{entries}}}]}}"#
        ),
    );
    let e = err(&path, 30);
    assert!(
        e.contains("2 regions") && e.contains("13 London") && e.contains("regionid"),
        "{e}"
    );
    let (_d, path) = write(
        "all.json",
        r#"{"data":[{"from":"2023-01-01T00:00Z","to":"2023-01-01T00:30Z","regions":[{"regionid":1,"intensity":{"forecast":40}}]}]}"#,
    );
    let e = err(&path, 30);
    assert!(
        e.contains("entry data[0]") && e.contains("every region"),
        "{e}"
    );
}

#[test]
fn json_is_known_by_its_content_not_its_extension() {
    let json = std::fs::read(fixture("uk_national.json")).unwrap();
    let (_d, path) = write("download.csv", &json);
    let s = Series::read(&path, 30).unwrap();
    assert_eq!(series_source(&s).0, &Format::UkCarbonIntensityApi);
    // A bare array of entries, with blanks before it.
    let (_d, path) = write(
        "bare.txt",
        "\n  [{\"from\":\"2018-01-20T12:00Z\",\"to\":\"2018-01-20T12:30Z\",\"intensity\":{\"forecast\":266,\"actual\":263}},\
         {\"from\":\"2018-01-20T12:30Z\",\"to\":\"2018-01-20T13:00Z\",\"intensity\":{\"forecast\":266,\"actual\":null}}]",
    );
    assert_eq!(Series::read(&path, 30).unwrap().values, [263.0, 266.0]);
    // And a CSV saved as .json is a CSV.
    let (_d, path) = write(
        "series.json",
        "time,gco2_per_kwh\n2020-01-01 00:00,10\n2020-01-01 00:30,20\n",
    );
    let s = Series::read(&path, 30).unwrap();
    assert_eq!(series_source(&s).0, &Format::Plain);
    assert_eq!(
        series_source(&s).2,
        None,
        "the plain form does not say its factors"
    );
}

#[test]
fn uk_api_entries_are_named_by_their_index() {
    let entry = |from: &str, to: &str, intensity: &str| {
        format!(r#"{{"from":"{from}","to":"{to}","intensity":{intensity}}}"#)
    };
    let cases = [
        (
            entry(
                "2018-01-20T12:30Z",
                "2018-01-20T13:00Z",
                r#"{"forecast":-5,"actual":null}"#,
            ),
            vec!["entry data[1], intensity.forecast", "-5", "<= 2000.0"],
        ),
        (
            entry(
                "2018-01-20T12:30Z",
                "2018-01-20T13:00Z",
                r#"{"forecast":"high"}"#,
            ),
            vec![
                "entry data[1], intensity.forecast",
                "\"high\"",
                "<= 2000.0",
                "or null",
            ],
        ),
        (
            entry(
                "2018-01-20T12:30Z",
                "2018-01-20T13:00Z",
                r#"{"forecast":null,"actual":null}"#,
            ),
            vec![
                "entry data[1]",
                "neither intensity.actual nor intensity.forecast",
            ],
        ),
        (
            entry(
                "20/01/2018 12:30",
                "2018-01-20T13:00Z",
                r#"{"forecast":200}"#,
            ),
            vec!["entry data[1], from", "20/01/2018 12:30", "RFC 3339"],
        ),
        (
            entry(
                "2018-01-20T12:00Z",
                "2018-01-20T12:30Z",
                r#"{"forecast":200}"#,
            ),
            vec![
                "entry data[1]",
                "repeats the time 2018-01-20 12:00",
                "entry data[0]",
            ],
        ),
        (
            r#"{"from":"2018-01-20T12:30Z","intensity":{"forecast":200}}"#.to_string(),
            vec!["entry data[1]", "missing field `to`"],
        ),
    ];
    for (second, wanted) in cases {
        let first = entry(
            "2018-01-20T12:00Z",
            "2018-01-20T12:30Z",
            r#"{"forecast":266,"actual":263}"#,
        );
        let (_d, path) = write("uk.json", format!(r#"{{"data":[{first},{second}]}}"#));
        let e = err(&path, 30);
        for w in wanted {
            assert!(e.contains("uk.json") && e.contains(w), "{w:?} not in {e}");
        }
    }
    let (_d, path) = write("broken.json", "{\"data\": [\n  {\"from\": }\n]}");
    let e = err(&path, 30);
    assert!(e.contains("not valid JSON (line 2"), "{e}");
    let (_d, path) = write("other.json", r#"{"zone":"DE","history":[]}"#);
    let e = err(&path, 30);
    assert!(
        e.contains("without `data` (its fields: history, zone)"),
        "{e}"
    );
}

#[test]
fn crlf_bom_and_quoted_fields_read() {
    let (_d, path) = write(
        "gb.csv",
        "\u{feff}\"Time\",\"Carbon Intensity\"\r\n\"2020-01-01 00:00:00\",\"100.5\"\r\n2020-01-01 00:30:00,\" 200.5 \"\r\n\r\n",
    );
    let s = Series::read(&path, 30).unwrap();
    assert_eq!(s.values, [100.5, 200.5]);
    // A quoted field holding the separator, in a column not read.
    let (_d, path) = write(
        "em.csv",
        "Datetime (UTC),Data Source,Carbon Intensity gCO₂eq/kWh (LCA)\r\n\
         2023-01-01 00:00:00,\"entsoe.eu, Electricity Maps Estimation\",300\r\n\
         2023-01-01 01:00:00,entsoe.eu,310\r\n",
    );
    assert_eq!(Series::read(&path, 60).unwrap().values, [300.0, 310.0]);
}

#[test]
fn rows_out_of_order_or_repeated_are_named_by_their_lines() {
    let (_d, path) = write(
        "fr.csv",
        "Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,2\n2020-01-01 00:30:00,3\n",
    );
    let e = err(&path, 30);
    assert!(
        e.contains("fr.csv line 4")
            && e.contains("goes back in time")
            && e.contains("2020-01-01 00:30 is before 2020-01-01 01:00 of line 3")
            && e.contains("increasing time order"),
        "{e}"
    );
    let (_d, path) = write(
        "fr.csv",
        "Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 00:30:00,2\n2020-01-01 00:30:00,2\n",
    );
    let e = err(&path, 30);
    assert!(
        e.contains("fr.csv line 4")
            && e.contains("repeats the time 2020-01-01 00:30")
            && e.contains("line 3"),
        "{e}"
    );
}

#[test]
fn a_bad_intensity_is_named_with_its_line_and_what_would_be_right() {
    for (value, shown) in [
        ("abc", "\"abc\""),
        ("-12.5", "\"-12.5\""),
        ("", "\"\""),
        ("NaN", "\"NaN\""),
    ] {
        let (_d, path) = write(
            "ger.csv",
            format!("Time,Carbon Intensity\n2020-01-01 00:00:00,1\n2020-01-01 00:15:00,{value}\n"),
        );
        let e = err(&path, 15);
        assert!(
            e.contains("ger.csv line 3, Carbon Intensity")
                && e.contains(shown)
                && e.contains("<= 2000.0"),
            "{value:?}: {e}"
        );
    }
    let (_d, path) = write(
        "em.csv",
        "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (LCA)\n2023-01-01 00:00:00,300\n2023-01-01 01:00:00,\n",
    );
    let e = err(&path, 60);
    assert!(
        e.contains("line 3, Carbon Intensity gCO₂eq/kWh (LCA)")
            && e.contains("empty cell is a missing sample"),
        "{e}"
    );
}

#[test]
fn a_timestamp_in_another_form_is_named_with_its_line() {
    let (_d, path) = write(
        "gb.csv",
        "Time,Carbon Intensity\n2020-01-01 00:00:00,1\n01/01/2020 00:30,2\n",
    );
    let e = err(&path, 30);
    assert!(
        e.contains("gb.csv line 3, Time")
            && e.contains("01/01/2020 00:30")
            && e.contains("YYYY-MM-DD HH:MM[:SS]")
            && e.contains("RFC 3339"),
        "{e}"
    );
}

#[test]
fn an_unknown_header_lists_the_accepted_ones() {
    let (_d, path) = write("x.csv", "date,co2\n2020-01-01 00:00,1\n");
    let e = err(&path, 30);
    assert!(
        e.contains("x.csv header")
            && e.contains("\"date,co2\"")
            && e.contains("Time,Carbon Intensity")
            && e.contains("time,gco2_per_kwh")
            && e.contains("Datetime (UTC)")
            && e.contains("Carbon Intensity gCO₂eq/kWh (LCA)")
            && e.contains("Carbon intensity gCO₂eq/kWh (Life cycle)")
            && e.contains("carbon_intensity_avg")
            && e.contains("UK Carbon Intensity API"),
        "{e}"
    );
    // An Electricity Maps export without the column asked for says which.
    let (_d, path) = write(
        "em.csv",
        "Datetime (UTC),Carbon Intensity gCO₂eq/kWh (LCA)\n2023-01-01 00:00:00,300\n2023-01-01 01:00:00,310\n",
    );
    let direct = ReadOptions {
        factors: Some(Factors::Direct),
    };
    let e = Series::read_with(&path, 60, &direct)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(direct)") && e.contains("em.csv header"), "{e}");
    let (_d, path) = write("empty.csv", "  \n");
    assert!(err(&path, 30).contains("the file is empty"));
    let (_d, path) = write("one.csv", "time,gco2_per_kwh\n2020-01-01 00:00,1\n");
    assert!(err(&path, 30).contains("at least two samples"));
}

#[test]
fn the_life_cycle_requirement_refuses_the_uk_api() {
    let life_cycle = ReadOptions {
        factors: Some(Factors::LifeCycle),
    };
    let e = Series::read_with(&fixture("uk_national.json"), 30, &life_cycle)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("life-cycle figures are required") && e.contains("direct figures only"),
        "{e}"
    );
}
