//! The attention keys of one `config.json` level ([`AttentionKeys`]), their spellings
//! ([`AttentionKey`]), `layer_types` counted as it streams by, and the shape they give.
//! Reading only; the KV-cache arithmetic is `service::memory`'s.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::Loose;
use crate::facts::AttentionShape;

/// The raw attention keys of one level, before defaults and switches apply.
#[derive(Default)]
pub(super) struct AttentionKeys {
    pub(super) layers: Option<u64>,
    pub(super) heads: Option<u64>,
    pub(super) kv_heads: Option<u64>,
    pub(super) multi_query: bool,
    pub(super) head_dim: Option<u64>,
    pub(super) hidden_size: Option<u64>,
    pub(super) sliding_window: Option<u64>,
    pub(super) use_sliding_window: Option<bool>,
    pub(super) sliding_window_pattern: Option<u64>,
    /// (sliding layers, all layers) of `layer_types`.
    pub(super) layer_types: Option<(u64, u64)>,
}

impl AttentionKeys {
    /// The shape these keys describe, windows applied as `AttentionShape` documents.
    pub(super) fn shape(&self) -> AttentionShape {
        let k = self;
        let window = k.sliding_window.filter(|_| k.use_sliding_window != Some(false));
        let window_layers = window.and_then(|_| match (k.layer_types, k.sliding_window_pattern, k.layers) {
            (Some((sliding, _)), _, _) => Some(sliding),
            (None, Some(p), Some(layers)) if p > 0 => Some(layers - layers / p),
            (None, None, layers) => layers,
            _ => None,
        });
        AttentionShape {
            layers: k.layers,
            heads: k.heads,
            kv_heads: k.kv_heads.or(k.multi_query.then_some(1)),
            key_dim: k.head_dim,
            value_dim: k.head_dim,
            hidden_size: k.hidden_size,
            sliding_window: window.filter(|_| window_layers.is_some_and(|n| n > 0)),
            window_layers: window_layers.filter(|&n| n > 0),
        }
    }
}

/// Keys of the attention shape (several spellings map to one).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AttentionKey {
    Layers,
    Heads,
    KvHeads,
    MultiQuery,
    HeadDim,
    HiddenSize,
    SlidingWindow,
    UseSlidingWindow,
    SlidingWindowPattern,
    LayerTypes,
}

impl AttentionKey {
    pub(super) fn of(key: &str) -> Option<Self> {
        Some(match key {
            "num_hidden_layers" | "n_layer" | "num_layers" => Self::Layers,
            "num_attention_heads" | "n_head" => Self::Heads,
            "num_key_value_heads" | "n_head_kv" | "num_kv_heads" => Self::KvHeads,
            "multi_query" => Self::MultiQuery,
            "head_dim" => Self::HeadDim,
            "hidden_size" | "n_embd" | "d_model" => Self::HiddenSize,
            "sliding_window" => Self::SlidingWindow,
            "use_sliding_window" => Self::UseSlidingWindow,
            "sliding_window_pattern" => Self::SlidingWindowPattern,
            "layer_types" => Self::LayerTypes,
            _ => return None,
        })
    }
}

/// `layer_types`: counted as it streams by, (sliding, all), never kept.
pub(super) struct LayerTypes(pub(super) Option<(u64, u64)>);

impl<'de> de::Deserialize<'de> for LayerTypes {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = LayerTypes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of layer types")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LayerTypes, A::Error> {
                let (mut sliding, mut all) = (0u64, 0u64);
                while let Some(item) = seq.next_element::<Loose>()? {
                    all += 1;
                    if matches!(&item, Loose::Str(s) if s == "sliding_attention") {
                        sliding += 1;
                    }
                }
                Ok(LayerTypes(Some((sliding, all))))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LayerTypes, A::Error> {
                IgnoredAny.visit_map(map).map(|_| LayerTypes(None))
            }

            fn visit_str<E>(self, _: &str) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }

            fn visit_u64<E>(self, _: u64) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }

            fn visit_i64<E>(self, _: i64) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }

            fn visit_f64<E>(self, _: f64) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }

            fn visit_bool<E>(self, _: bool) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }

            fn visit_unit<E>(self) -> Result<LayerTypes, E> {
                Ok(LayerTypes(None))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}
