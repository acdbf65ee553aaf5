//! The `char-gpt` model: a decoder-only transformer over characters. Token and learned position
//! embeddings, pre-norm transformer blocks with causal self-attention, a final layer norm and a
//! linear head giving one logit per character of the vocabulary at every position.

use burn::module::Module;
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// The shape of a `char-gpt` model, saved in its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GptShape {
    /// Width of embeddings and attention.
    pub d_model: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Attention heads per block.
    pub heads: usize,
    /// Context: characters the model sees at once.
    pub context: usize,
}

impl Default for GptShape {
    fn default() -> Self {
        GptShape {
            d_model: 64,
            layers: 2,
            heads: 4,
            context: 64,
        }
    }
}

impl GptShape {
    /// Checks the shape a user asked for; errors name the flag and a valid value.
    pub fn check(&self) -> crate::Result<()> {
        use crate::TrainError::Input;
        if !(2..=4096).contains(&self.context) {
            return Err(Input(format!(
                "invalid --context {}: expected 2 to 4096 characters",
                self.context
            )));
        }
        if !(1..=64).contains(&self.layers) || !(1..=64).contains(&self.heads) {
            return Err(Input(format!(
                "invalid --layers {} or --heads {}: expected 1 to 64 each",
                self.layers, self.heads
            )));
        }
        if self.d_model == 0 || self.d_model > 4096 || self.d_model % self.heads != 0 {
            return Err(Input(format!(
                "invalid --d-model {}: expected a width up to 4096 that --heads ({}) divides, such as {}",
                self.d_model,
                self.heads,
                self.heads * 16
            )));
        }
        Ok(())
    }
}

/// A character-level GPT.
#[derive(Module, Debug)]
pub struct CharGpt {
    tok: Embedding,
    pos: Embedding,
    blocks: TransformerEncoder,
    norm: LayerNorm,
    head: Linear,
    context: usize,
}

impl CharGpt {
    /// A new model over `vocab` characters.
    pub fn new(vocab: usize, shape: GptShape, device: &Device) -> Self {
        CharGpt {
            tok: EmbeddingConfig::new(vocab, shape.d_model).init(device),
            pos: EmbeddingConfig::new(shape.context, shape.d_model).init(device),
            blocks: TransformerEncoderConfig::new(
                shape.d_model,
                4 * shape.d_model,
                shape.heads,
                shape.layers,
            )
            .with_dropout(0.0)
            .with_norm_first(true)
            .init(device),
            norm: LayerNormConfig::new(shape.d_model).init(device),
            head: LinearConfig::new(shape.d_model, vocab).init(device),
            context: shape.context,
        }
    }

    /// Logits `[batch, seq, vocab]` for token ids `[batch, seq]` (seq <= context).
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        let [batch, seq] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::from_data(
            TensorData::new((0..seq as i64).collect::<Vec<_>>(), [seq]),
            &device,
        )
        .reshape([1, seq])
        .expand([batch, seq]);
        let x = self.tok.forward(ids) + self.pos.forward(positions);
        let mask = generate_autoregressive_mask(batch, seq, &device);
        let h = self
            .blocks
            .forward(TransformerEncoderInput::new(x).mask_attn(mask));
        self.head.forward(self.norm.forward(h))
    }

    /// The context length.
    pub fn context(&self) -> usize {
        self.context
    }
}

impl crate::model::Classify for CharGpt {
    /// The logits of the character after each row of ids (`[n, context]` → `[n, vocab]`).
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let [n, seq] = x.dims();
        let out = self.forward(x.int());
        let v = out.dims()[2];
        out.slice([0..n, seq - 1..seq, 0..v]).reshape([n, v])
    }
}
