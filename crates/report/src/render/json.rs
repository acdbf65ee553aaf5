//! The report as JSON: the accounts as they are, with the targets, scenarios, model sheets (and
//! their Hugging Face and Annex XI blocks) and the strategy map.

use crate::accounts::Accounts;
use crate::report::Extras;
use crate::targets::Progress;

/// The report as pretty JSON, ending with a newline.
pub fn json(a: &Accounts, targets: &[Progress], x: &Extras) -> String {
    let mut v = serde_json::to_value(a).unwrap_or_default();
    v["targets"] = serde_json::to_value(targets).unwrap_or_default();
    v["scenarios"] = serde_json::to_value(&x.scenarios).unwrap_or_default();
    v["model_sheets"] = serde_json::to_value(&x.model_sheets).unwrap_or_default();
    for (json, sheet) in v["model_sheets"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .zip(&x.model_sheets)
    {
        json["hugging_face_yaml"] = sheet.hugging_face_yaml().into();
        json["annex_xi"] = sheet
            .annex_xi()
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    v["strategy_map"] = x.strategy_map.clone().into();
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
