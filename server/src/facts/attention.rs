//! The attention shape a `config.json` or GGUF header states: what the KV-cache estimate
//! (`service::memory`) needs. Plain data read by the parsers; no arithmetic on it here.

/// Attention fields of one model, as written in its files; absent ones are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttentionShape {
    /// Transformer layers (`num_hidden_layers`, `n_layer`; GGUF `<arch>.block_count`).
    pub layers: Option<u64>,
    /// Query heads (`num_attention_heads`, `n_head`; GGUF `<arch>.attention.head_count`).
    pub heads: Option<u64>,
    /// Key/value heads (`num_key_value_heads`; 1 for `multi_query`; GGUF
    /// `<arch>.attention.head_count_kv`). Absent means one per query head.
    pub kv_heads: Option<u64>,
    /// Key width per head (`head_dim`; GGUF `<arch>.attention.key_length`).
    pub key_dim: Option<u64>,
    /// Value width per head (`head_dim`; GGUF `<arch>.attention.value_length`).
    pub value_dim: Option<u64>,
    /// Model width (`hidden_size`, `n_embd`, `d_model`; GGUF `<arch>.embedding_length`).
    pub hidden_size: Option<u64>,
    /// Tokens a sliding-window layer attends to (`sliding_window`), when windows are on.
    pub sliding_window: Option<u64>,
    /// How many of the layers use the window: from `layer_types`, else every layer but
    /// each `sliding_window_pattern`-th one (Gemma 3), else all (Mistral). Only meaningful
    /// with `sliding_window`.
    pub window_layers: Option<u64>,
}
