//! Int8 layers on disk: safetensors with, per layer, `NAME.weight` (I8, `[out, in]`),
//! `NAME.weight_scale` (F32, `[out]` per channel or `[1]` per tensor) and `NAME.bias` (F32,
//! `[out]`), `NAME.input_scale` (F32, `[1]`, only when calibrated), and the scheme in the file's
//! metadata (`format`, `scheme`, `granularity`), so any
//! safetensors reader sees what the numbers mean.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::QLinear;
use crate::{Result, TrainError};

/// The metadata `format` of an int8 weights file.
pub const FORMAT: &str = "sustain-int8";
/// The scheme, as the module documents it.
pub const SCHEME: &str = "symmetric int8, zero point 0, range [-127, 127], round half away from zero; activations quantized per tensor, at the layer's input_scale when it has one, else from each batch";

fn err(path: &Path, message: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The error of a weights file whose layers do not fit together or the model.
pub(crate) fn shape_error(path: &Path, message: &str) -> TrainError {
    err(path, message)
}

/// Writes `layers` (name, layer) to `path`.
pub fn write(path: &Path, layers: &[(&str, &QLinear)]) -> Result<()> {
    let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, l) in layers {
        let (o, i) = (l.out_features(), l.in_features());
        owned.push((
            format!("{name}.weight"),
            Dtype::I8,
            vec![o, i],
            l.weights_t().iter().map(|q| *q as u8).collect(),
        ));
        owned.push((
            format!("{name}.weight_scale"),
            Dtype::F32,
            vec![l.scales().len()],
            f32_bytes(l.scales()),
        ));
        owned.push((
            format!("{name}.bias"),
            Dtype::F32,
            vec![o],
            f32_bytes(l.bias()),
        ));
        if let Some(s) = l.input_scale() {
            owned.push((
                format!("{name}.input_scale"),
                Dtype::F32,
                vec![1],
                f32_bytes(&[s]),
            ));
        }
    }
    let views = owned
        .iter()
        .map(|(n, d, s, b)| TensorView::new(*d, s.clone(), b).map(|v| (n.clone(), v)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| err(path, e))?;
    let granularity = layers
        .first()
        .map_or("per-channel", |(_, l)| l.granularity().as_str());
    let metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("scheme".to_string(), SCHEME.to_string()),
        ("granularity".to_string(), granularity.to_string()),
    ]);
    let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| err(path, e))?;
    std::fs::write(path, bytes).map_err(|e| err(path, format!("cannot write: {e}")))
}

/// Reads the layers `names` from `path`, in that order.
pub fn read(path: &Path, names: &[&str]) -> Result<Vec<QLinear>> {
    let bytes = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| err(path, e))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| err(path, e))?;
    let format = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("format").cloned());
    if format.as_deref() != Some(FORMAT) {
        return Err(err(
            path,
            format!("not an int8 weights file (metadata format {format:?}, expected {FORMAT:?})"),
        ));
    }
    let tensor = |name: &str, dtype: Dtype| {
        let t = st
            .tensor(name)
            .map_err(|e| err(path, format!("{name}: {e}")))?;
        if t.dtype() != dtype {
            return Err(err(
                path,
                format!("{name}: {:?}, expected {dtype:?}", t.dtype()),
            ));
        }
        Ok(t)
    };
    let floats = |t: &TensorView<'_>| {
        t.data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect::<Vec<f32>>()
    };
    names
        .iter()
        .map(|name| {
            let w = tensor(&format!("{name}.weight"), Dtype::I8)?;
            let [o, i] = w.shape() else {
                return Err(err(
                    path,
                    format!("{name}.weight: shape {:?}, expected [out, in]", w.shape()),
                ));
            };
            let (o, i) = (*o, *i);
            let weights_t = w.data().iter().map(|b| *b as i8).collect();
            let scales = floats(&tensor(&format!("{name}.weight_scale"), Dtype::F32)?);
            let bias = floats(&tensor(&format!("{name}.bias"), Dtype::F32)?);
            let input_scale = match st.tensor(&format!("{name}.input_scale")) {
                Ok(_) => floats(&tensor(&format!("{name}.input_scale"), Dtype::F32)?)
                    .first()
                    .copied(),
                Err(_) => None,
            };
            QLinear::from_parts(weights_t, scales, bias, i, o)
                .and_then(|l| l.with_input_scale(input_scale))
                .map_err(|e| err(path, format!("{name}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::int8::Granularity;

    #[test]
    fn int8_layers_round_trip_and_other_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.int8.safetensors");
        let w: Vec<f32> = (0..12).map(|i| (i as f32 - 6.0) / 3.0).collect();
        let a =
            QLinear::from_f32(&w, Some(&[0.5, -1.0, 2.0]), 4, 3, Granularity::PerChannel).unwrap();
        let b = QLinear::from_f32(&w, None, 3, 4, Granularity::PerTensor).unwrap();
        write(&path, &[("fc", &a), ("out", &b)]).unwrap();
        let back = read(&path, &["fc", "out"]).unwrap();
        assert_eq!(back, vec![a.clone(), b]);
        // Stored weights are a byte each: 12 + 12 of them, plus scales, biases and the header.
        let x = [1.0, -2.0, 0.5, 3.0];
        assert_eq!(back[0].forward(&x, 1).unwrap(), a.forward(&x, 1).unwrap());
        let e = read(&path, &["missing"]).unwrap_err().to_string();
        assert!(e.contains("missing.weight"), "{e}");
        std::fs::write(&path, b"not safetensors").unwrap();
        assert!(read(&path, &["fc"]).is_err());
    }

    #[test]
    fn layers_that_do_not_chain_are_refused_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        let layer = |i: usize, o: usize| {
            QLinear::from_f32(&vec![0.5; i * o], None, i, o, Granularity::PerTensor).unwrap()
        };
        let (a, b, c) = (layer(4, 3), layer(5, 2), layer(2, 2));
        write(&path, &[("l1", &a), ("l2", &b), ("out", &c)]).unwrap();
        let e = crate::int8::QMlp::load(&path).unwrap_err().to_string();
        assert!(e.contains("3 outputs into 5 inputs"), "{e}");
        let (c1, c2, fc, out) = (layer(9, 2), layer(18, 4), layer(4 * 4, 8), layer(8, 10));
        write(
            &path,
            &[("conv1", &c1), ("conv2", &c2), ("fc", &fc), ("out", &out)],
        )
        .unwrap();
        assert!(crate::int8::QCnn::load(&path, 8).is_ok());
        let e = crate::int8::QCnn::load(&path, 16).unwrap_err().to_string();
        assert!(e.contains("do not chain for 16×16"), "{e}");
    }
}
