//! What the training loop needs of a model.

use burn::tensor::Tensor;

/// A classifier: rows of features in, one logit per class out.
pub trait Classify {
    /// Logits for a batch `[n, features]` → `[n, classes]`.
    fn logits(&self, x: Tensor<2>) -> Tensor<2>;
}
