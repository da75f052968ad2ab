//! Closed vocabularies of the metadata: tasks, modalities, formats, precisions and lineage
//! relations. Unknown values are refused by serde with the list of accepted ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                let wanted = s.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} '{}': expected one of {}", stringify!($name).to_ascii_lowercase(), s, all.join(", "))
                })
            }
        }
    };
}

vocabulary!(
    /// What the model does, in the names the Hugging Face hub uses for pipelines.
    Task {
        TextGeneration = "text-generation",
        Text2TextGeneration = "text2text-generation",
        TextClassification = "text-classification",
        TokenClassification = "token-classification",
        QuestionAnswering = "question-answering",
        TableQuestionAnswering = "table-question-answering",
        Summarization = "summarization",
        Translation = "translation",
        FillMask = "fill-mask",
        FeatureExtraction = "feature-extraction",
        SentenceSimilarity = "sentence-similarity",
        TextRanking = "text-ranking",
        ZeroShotClassification = "zero-shot-classification",
        ImageClassification = "image-classification",
        ZeroShotImageClassification = "zero-shot-image-classification",
        ObjectDetection = "object-detection",
        ZeroShotObjectDetection = "zero-shot-object-detection",
        ImageSegmentation = "image-segmentation",
        MaskGeneration = "mask-generation",
        DepthEstimation = "depth-estimation",
        ImageFeatureExtraction = "image-feature-extraction",
        ImageToText = "image-to-text",
        ImageTextToText = "image-text-to-text",
        VisualQuestionAnswering = "visual-question-answering",
        DocumentQuestionAnswering = "document-question-answering",
        TextToImage = "text-to-image",
        ImageToImage = "image-to-image",
        TextToVideo = "text-to-video",
        VideoClassification = "video-classification",
        AutomaticSpeechRecognition = "automatic-speech-recognition",
        TextToSpeech = "text-to-speech",
        TextToAudio = "text-to-audio",
        AudioClassification = "audio-classification",
        AudioToAudio = "audio-to-audio",
        VoiceActivityDetection = "voice-activity-detection",
        TabularClassification = "tabular-classification",
        TabularRegression = "tabular-regression",
        TimeSeriesForecasting = "time-series-forecasting",
        ReinforcementLearning = "reinforcement-learning",
        AnyToAny = "any-to-any",
    }
);

vocabulary!(
    /// A kind of input or output.
    Modality {
        Text = "text",
        Image = "image",
        Audio = "audio",
        Video = "video",
        Tabular = "tabular",
        Embedding = "embedding",
        ThreeD = "3d",
        TimeSeries = "time-series",
    }
);

vocabulary!(
    /// How the weights are stored.
    Format {
        Safetensors = "safetensors",
        Gguf = "gguf",
        Ggml = "ggml",
        Onnx = "onnx",
        Pytorch = "pytorch",
        Tensorflow = "tensorflow",
        Tflite = "tflite",
        Keras = "keras",
        Jax = "jax",
        Coreml = "coreml",
        Openvino = "openvino",
        Tensorrt = "tensorrt",
        Mlx = "mlx",
        Executorch = "executorch",
    }
);

vocabulary!(
    /// Numeric precision of the weights.
    Precision {
        Fp64 = "fp64",
        Fp32 = "fp32",
        Tf32 = "tf32",
        Fp16 = "fp16",
        Bf16 = "bf16",
        Fp8 = "fp8",
        Int8 = "int8",
        Uint8 = "uint8",
        Fp4 = "fp4",
        Nf4 = "nf4",
        Int4 = "int4",
        Int2 = "int2",
        Mixed = "mixed",
    }
);

vocabulary!(
    /// How a model derives from its base model.
    BaseRelation {
        Finetune = "finetune",
        Adapter = "adapter",
        Quantized = "quantized",
        Merge = "merge",
        Distillation = "distillation",
    }
);

vocabulary!(
    /// Metadata fields the registry can also derive from the files, and the memory facts it
    /// computes (`weight_bytes`: bytes of the weights as stored; `kv_cache`: a
    /// `KvCacheShape`), which have no declared counterpart (see `docs/metadata.md`).
    DerivedField {
        Parameters = "parameters",
        ContextLength = "context_length",
        Precision = "precision",
        Quantization = "quantization",
        Architecture = "architecture",
        Format = "format",
        WeightBytes = "weight_bytes",
        KvCache = "kv_cache",
    }
);

impl Precision {
    /// Maps a dtype name as found in files (`BF16`, `torch.float16`, `F32`, `I8`) to a
    /// precision, where that is unambiguous.
    pub fn from_dtype(dtype: &str) -> Option<Self> {
        let d = dtype.trim().to_ascii_lowercase();
        let d = d.strip_prefix("torch.").unwrap_or(&d);
        Some(match d {
            "f64" | "float64" | "double" => Self::Fp64,
            "f32" | "float32" | "float" => Self::Fp32,
            "f16" | "float16" | "half" => Self::Fp16,
            "bf16" | "bfloat16" => Self::Bf16,
            "f8_e4m3" | "f8_e5m2" | "float8_e4m3fn" | "float8_e5m2" => Self::Fp8,
            "i8" | "int8" => Self::Int8,
            "u8" | "uint8" => Self::Uint8,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_parse_case_insensitively_and_list_alternatives() {
        assert_eq!("Text-Generation".parse::<Task>().unwrap(), Task::TextGeneration);
        assert_eq!("3d".parse::<Modality>().unwrap(), Modality::ThreeD);
        let err = "textgen".parse::<Task>().unwrap_err();
        assert!(err.contains("text-generation"), "{err}");
        assert_eq!(serde_json::to_string(&Modality::TimeSeries).unwrap(), "\"time-series\"");
        assert!(serde_json::from_str::<Format>("\"zip\"").is_err());
    }

    #[test]
    fn file_dtypes_map_to_precisions() {
        assert_eq!(Precision::from_dtype("BF16"), Some(Precision::Bf16));
        assert_eq!(Precision::from_dtype("torch.float16"), Some(Precision::Fp16));
        assert_eq!(Precision::from_dtype("F32"), Some(Precision::Fp32));
        assert_eq!(Precision::from_dtype("Q4_K"), None);
    }
}
