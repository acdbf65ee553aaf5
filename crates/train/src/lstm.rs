//! The `text-lstm` model: word embeddings, one LSTM layer, and one logit per class from the
//! final hidden state. Inputs are token ids (as floats, left-padded; see [`crate::text`]).

use burn::module::Module;
use burn::nn::lstm::{Lstm, LstmConfig};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

use crate::model::Classify;

/// Width of the word embeddings.
pub const EMBED: usize = 64;
/// Width of the LSTM state.
pub const HIDDEN: usize = 64;

/// An LSTM text classifier.
#[derive(Module, Debug)]
pub struct TextLstm {
    embed: Embedding,
    lstm: Lstm,
    out: Linear,
}

impl TextLstm {
    /// A new model over `vocab` token ids with `classes` outputs.
    pub fn new(vocab: usize, classes: usize, device: &Device) -> Self {
        TextLstm {
            embed: EmbeddingConfig::new(vocab, EMBED).init(device),
            lstm: LstmConfig::new(EMBED, HIDDEN, true).init(device),
            out: LinearConfig::new(HIDDEN, classes).init(device),
        }
    }
}

impl Classify for TextLstm {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        // Rows are left-padded: columns that are padding in every row of the batch change
        // nothing but cost a step each, so the batch starts at its longest text.
        let [n, len] = x.dims();
        let values = x
            .to_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        let first = values
            .chunks(len.max(1))
            .filter_map(|row| row.iter().position(|&v| v != 0.0))
            .min()
            .unwrap_or(len.saturating_sub(1));
        let x = x.slice([0..n, first..len]);
        let ids: Tensor<2, Int> = x.int();
        let (outputs, _) = self.lstm.forward(self.embed.forward(ids), None);
        // Max over time of the hidden states: each unit keeps its strongest evidence wherever
        // it occurs in the text.
        let [n, _, h] = outputs.dims();
        self.out.forward(outputs.max_dim(1).reshape([n, h]))
    }
}

impl TextLstm {
    /// The model with a new, freshly initialized output layer of `classes` logits (transfer
    /// to a task with other classes); every other layer keeps its weights.
    pub fn with_head(mut self, classes: usize, device: &Device) -> Self {
        let inputs = self.out.weight.dims()[0];
        self.out = LinearConfig::new(inputs, classes).init(device);
        self
    }
}
