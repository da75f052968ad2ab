//! Facts derived from stored files at publish: safetensors and GGUF headers read by prefix,
//! config files, aggregation over files, and reconciliation with declared metadata.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::BoxStream;
use modelreg_api::{
    DerivedField, FactSource, FileEntry, Format, Manifest, Metadata, ModelName, Precision, Version,
    VersionSelector,
};
use modelreg_server::blob::{BlobStore, key_for};
use modelreg_server::service::{
    Derived, DerivedFacts, Registry, RegistryError, derive, derive_within, effective_facts,
};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{body, default_policy, digest_of, embedded_registry, local_blobs, root};

/// A safetensors file: `(name, dtype, shape)` tensors back to back, zero-filled data.
pub(crate) fn safetensors(tensors: &[(&str, &str, &[u64])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let width = match *dtype {
            "F32" | "I32" => 4,
            "F16" | "BF16" => 2,
            _ => 1,
        };
        let len = shape.iter().product::<u64>() * width;
        header.insert(
            name.to_string(),
            json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    let header = Value::Object(header).to_string().into_bytes();
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(&header);
    file.resize(file.len() + usize::try_from(offset).unwrap(), 0);
    file
}

/// A GGUF v3 file with an architecture, its context length, a file type and F16 tensors.
fn gguf(architecture: &str, context_length: u32, file_type: u32, tensors: &[&[u64]]) -> Vec<u8> {
    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut f = b"GGUF".to_vec();
    f.extend_from_slice(&3u32.to_le_bytes());
    f.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    f.extend_from_slice(&3u64.to_le_bytes());
    put_str(&mut f, "general.architecture");
    f.extend_from_slice(&8u32.to_le_bytes()); // string
    put_str(&mut f, architecture);
    for (key, value) in
        [(format!("{architecture}.context_length"), context_length), ("general.file_type".into(), file_type)]
    {
        put_str(&mut f, &key);
        f.extend_from_slice(&4u32.to_le_bytes()); // u32
        f.extend_from_slice(&value.to_le_bytes());
    }
    for (i, dims) in tensors.iter().enumerate() {
        put_str(&mut f, &format!("t{i}"));
        f.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in *dims {
            f.extend_from_slice(&d.to_le_bytes());
        }
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&(i as u64 * 32).to_le_bytes());
    }
    f.resize(f.len().div_ceil(32) * 32 + tensors.len() * 32, 0);
    f
}

/// A manifest listing `files`, with `metadata` declared beside the licence.
pub(crate) fn manifest_of(files: &[(&str, &[u8])], metadata: Value) -> Manifest {
    let files = files
        .iter()
        .map(|(path, data)| FileEntry {
            path: path.parse().unwrap(),
            digest: digest_of(data),
            size: data.len() as u64,
        })
        .collect();
    Manifest { files, metadata: declared(metadata), override_derived: BTreeSet::new() }.canonicalize()
}

fn declared(metadata: Value) -> Metadata {
    let mut m = json!({"license": "MIT"});
    m.as_object_mut().unwrap().extend(metadata.as_object().unwrap().clone());
    serde_json::from_value(m).unwrap()
}

/// A registry holding `files`.
pub(crate) async fn registry_with(files: &[(&str, &[u8])]) -> (Registry, TempDir) {
    let (registry, dir) = embedded_registry(default_policy()).await;
    for (_, data) in files {
        registry.upload_blob(&root(), digest_of(data), data.len() as u64, body(data, 1 << 20)).await.unwrap();
    }
    (registry, dir)
}

/// Stores `files` in a local blob store and derives their facts.
async fn derived_from(files: &[(&str, &[u8])]) -> DerivedFacts {
    let (blobs, _backing) = local_blobs();
    for (_, data) in files {
        blobs.put_verified(&digest_of(data), data.len() as u64, body(data, 1 << 20)).await.unwrap();
    }
    derive(&blobs, &manifest_of(files, json!({}))).await.unwrap()
}

fn value<T: Clone>(d: &Option<Derived<T>>) -> Option<(T, String, usize)> {
    d.as_ref().map(|d| (d.value.clone(), d.file.to_string(), d.files))
}

#[tokio::test]
async fn sharded_safetensors_are_summed_and_the_dominant_dtype_names_the_precision() {
    let one = safetensors(&[("embed", "BF16", &[64, 32]), ("norm", "F32", &[32])]);
    let two = safetensors(&[("head", "BF16", &[32, 64])]);
    let facts = derived_from(&[
        ("model-00002-of-00002.safetensors", &two),
        ("model-00001-of-00002.safetensors", &one),
        ("README.md", b"# card"),
    ])
    .await;
    let first = "model-00001-of-00002.safetensors".to_owned();
    assert_eq!(value(&facts.parameters), Some((64 * 32 + 32 + 32 * 64, first.clone(), 2)));
    assert_eq!(value(&facts.precision), Some((Precision::Bf16, first.clone(), 2)));
    assert_eq!(value(&facts.format), Some((Format::Safetensors, first, 2)));
    assert_eq!(facts.quantization, None);
}

#[tokio::test]
async fn spread_dtypes_are_mixed_unless_packed_integers_hide_the_precision() {
    let precision = |tensors: &'static [(&'static str, &'static str, &'static [u64])]| async move {
        let config = json!({"torch_dtype": "float16"}).to_string();
        let weights = safetensors(tensors);
        let facts =
            derived_from(&[("model.safetensors", &weights), ("config.json", config.as_bytes())]).await;
        facts.precision.map(|p| p.value)
    };
    assert_eq!(precision(&[("w", "BF16", &[90]), ("n", "F32", &[10])]).await, Some(Precision::Bf16));
    assert_eq!(precision(&[("w", "BF16", &[89]), ("n", "F32", &[11])]).await, Some(Precision::Mixed));
    assert_eq!(precision(&[("w", "I8", &[95]), ("s", "F16", &[5])]).await, Some(Precision::Int8));
    // GPTQ-style packed I32 words: neither mixed nor config's float16.
    assert_eq!(precision(&[("q", "I32", &[70]), ("s", "F16", &[30])]).await, None);
}

#[tokio::test]
async fn gguf_headers_give_quantization_context_length_and_architecture() {
    let file = gguf("llama", 4096, 15, &[&[64, 32], &[32]]);
    let facts = derived_from(&[("llama.Q4_K_M.gguf", &file)]).await;
    let path = "llama.Q4_K_M.gguf".to_owned();
    assert_eq!(value(&facts.quantization), Some(("Q4_K_M".to_owned(), path.clone(), 1)));
    assert_eq!(value(&facts.context_length), Some((4096, path.clone(), 1)));
    assert_eq!(value(&facts.architecture), Some(("llama".to_owned(), path.clone(), 1)));
    assert_eq!(value(&facts.parameters), Some((64 * 32 + 32, path.clone(), 1)));
    assert_eq!(value(&facts.format), Some((Format::Gguf, path, 1)));
    assert_eq!(facts.precision, None, "a quantised GGUF states no precision");
}

#[tokio::test]
async fn several_gguf_files_give_only_the_values_they_agree_on() {
    let q4 = gguf("llama", 4096, 15, &[&[64, 32]]);
    let q8 = gguf("llama", 4096, 7, &[&[64, 32]]);
    let facts = derived_from(&[("m.Q4_K_M.gguf", &q4), ("m.Q8_0.gguf", &q8)]).await;
    assert_eq!(value(&facts.parameters), Some((64 * 32, "m.Q4_K_M.gguf".to_owned(), 2)));
    assert_eq!(value(&facts.context_length).map(|v| v.0), Some(4096));
    assert_eq!(facts.quantization, None);
}

#[tokio::test]
async fn config_json_gives_architecture_and_context_length_before_the_tokenizer() {
    let weights = safetensors(&[("w", "F16", &[16, 16])]);
    let config = json!({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "max_position_embeddings": 8192, "torch_dtype": "bfloat16"})
    .to_string();
    let tokenizer = json!({"model_max_length": 4096}).to_string();
    let nested = json!({"max_position_embeddings": 77}).to_string();
    let facts = derived_from(&[
        ("model.safetensors", &weights),
        ("config.json", config.as_bytes()),
        ("tokenizer_config.json", tokenizer.as_bytes()),
        ("text_encoder/config.json", nested.as_bytes()),
    ])
    .await;
    let config_path = "config.json".to_owned();
    assert_eq!(value(&facts.context_length), Some((8192, config_path.clone(), 1)));
    assert_eq!(value(&facts.architecture), Some(("LlamaForCausalLM".to_owned(), config_path, 1)));
    assert_eq!(facts.architecture_names, BTreeSet::from(["llamaforcausallm".to_owned(), "llama".to_owned()]));
    // The safetensors dtypes were read, so config's torch_dtype does not override them.
    assert_eq!(value(&facts.precision).map(|v| v.0), Some(Precision::Fp16));

    let facts = derived_from(&[("tokenizer_config.json", tokenizer.as_bytes())]).await;
    assert_eq!(value(&facts.context_length), Some((4096, "tokenizer_config.json".to_owned(), 1)));
}

#[tokio::test]
async fn pytorch_checkpoints_take_their_precision_from_config_json() {
    let config = json!({"architectures": ["BertModel"], "torch_dtype": "float32"}).to_string();
    let facts = derived_from(&[("config.json", config.as_bytes()), ("pytorch_model.bin", &[0; 64])]).await;
    assert_eq!(value(&facts.format), Some((Format::Pytorch, "pytorch_model.bin".to_owned(), 1)));
    assert_eq!(value(&facts.precision), Some((Precision::Fp32, "config.json".to_owned(), 1)));
    assert_eq!(facts.parameters, None);
    // Without a config.json a .bin file could be anything.
    assert_eq!(derived_from(&[("pytorch_model.bin", &[0; 64])]).await.format, None);
}

fn derived_llama() -> DerivedFacts {
    let d = |n| Derived { value: n, file: "model.safetensors".parse().unwrap(), files: 1 };
    DerivedFacts {
        parameters: Some(d(6_738_415_616)),
        context_length: Some(d(4096)),
        architecture: Some(Derived {
            value: "LlamaForCausalLM".to_owned(),
            file: "config.json".parse().unwrap(),
            files: 1,
        }),
        architecture_names: BTreeSet::from(["llamaforcausallm".to_owned(), "llama".to_owned()]),
        ..DerivedFacts::default()
    }
}

#[test]
fn declared_contradictions_are_all_reported_with_both_values() {
    let metadata = declared(json!({"parameters": 7_000_000_000_u64, "context_length": 8192}));
    let err = effective_facts(&metadata, &derived_llama(), &BTreeSet::new()).unwrap_err();
    let listed: Vec<_> = err.0.iter().map(|c| (c.field, c.declared.clone(), c.derived.clone())).collect();
    assert_eq!(
        listed,
        [
            (DerivedField::Parameters, json!(7_000_000_000_u64), json!(6_738_415_616_u64)),
            (DerivedField::ContextLength, json!(8192), json!(4096)),
        ]
    );
    assert!(err.0.iter().all(|c| c.file.as_str() == "model.safetensors" && c.files == 1));
    assert_eq!(
        err.to_string(),
        "metadata.parameters: declared 7000000000 but model.safetensors says 6738415616 \
         (add \"parameters\" to override_derived to keep the declared value); \
         metadata.context_length: declared 8192 but model.safetensors says 4096 \
         (add \"context_length\" to override_derived to keep the declared value)"
    );
}

#[test]
fn an_override_keeps_the_declared_value_and_records_the_derived_one() {
    let metadata = declared(json!({"parameters": 7_000_000_000_u64}));
    let overrides = BTreeSet::from([DerivedField::Parameters]);
    let facts = effective_facts(&metadata, &derived_llama(), &overrides).unwrap();
    let fact = &facts[&DerivedField::Parameters];
    assert_eq!(fact.source, FactSource::Overridden);
    assert_eq!(fact.value, json!(7_000_000_000_u64));
    assert_eq!(fact.derived, Some(json!(6_738_415_616_u64)));
    assert_eq!(fact.file.as_ref().map(|f| f.as_str()), Some("model.safetensors"));
}

#[test]
fn confirmed_values_are_declared_with_the_derived_value_and_the_rest_derived() {
    let metadata =
        declared(json!({"parameters": 6_700_000_000_u64, "architecture": "llama", "license": "MIT"}));
    let facts = effective_facts(&metadata, &derived_llama(), &BTreeSet::new()).unwrap();
    let parameters = &facts[&DerivedField::Parameters];
    assert_eq!((parameters.source, &parameters.value), (FactSource::Declared, &json!(6_700_000_000_u64)));
    assert_eq!(parameters.derived, Some(json!(6_738_415_616_u64)));
    let architecture = &facts[&DerivedField::Architecture];
    assert_eq!((architecture.source, &architecture.value), (FactSource::Declared, &json!("llama")));
    let context = &facts[&DerivedField::ContextLength];
    assert_eq!(
        (context.source, &context.value, &context.derived),
        (FactSource::Derived, &json!(4096), &None)
    );
    assert!(!facts.contains_key(&DerivedField::Quantization));

    let only_declared = declared(json!({"quantization": "awq"}));
    let facts = effective_facts(&only_declared, &DerivedFacts::default(), &BTreeSet::new()).unwrap();
    let q = &facts[&DerivedField::Quantization];
    assert_eq!((q.source, &q.value, &q.file), (FactSource::Declared, &json!("awq"), &None));
}

/// Records every read other than a HEAD: `None` is a whole-object read. Each read takes
/// `read_delay` (a slow store).
#[derive(Debug, Default)]
struct RecordingStore {
    inner: InMemory,
    reads: Mutex<Vec<Option<GetRange>>>,
    read_delay: Mutex<Duration>,
}

impl fmt::Display for RecordingStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordingStore({})", self.inner)
    }
}

#[async_trait::async_trait]
impl ObjectStore for RecordingStore {
    async fn put_opts(
        &self,
        path: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(path, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(path, opts).await
    }

    async fn get_opts(&self, path: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        if !options.head {
            self.reads.lock().unwrap().push(options.range.clone());
            let delay = *self.read_delay.lock().unwrap();
            tokio::time::sleep(delay).await;
        }
        self.inner.get_opts(path, options).await
    }

    fn delete_stream(
        &self,
        paths: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(paths)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// Puts `files` straight into a recording store under stand-in digests (prefix reads never
/// check them, and hashing 64 MiB in a debug build would only slow the test down); returns
/// the store and a manifest listing them. Paths sharing a `data` pointer share a digest.
async fn recorded(files: &[(&str, &[u8])]) -> (Arc<RecordingStore>, Manifest) {
    let store = Arc::new(RecordingStore::default());
    let mut entries = Vec::new();
    for (path, data) in files {
        let digest = digest_of(format!("{:p}", data.as_ptr()).as_bytes());
        store.inner.put(&key_for(&digest), PutPayload::from(data.to_vec())).await.unwrap();
        entries.push(FileEntry { path: path.parse().unwrap(), digest, size: data.len() as u64 });
    }
    (store, Manifest { files: entries, metadata: declared(json!({})), override_derived: BTreeSet::new() })
}

/// Derives from `files` on a recording store; returns the facts and the reads made.
async fn derived_with_reads(files: &[(&str, &[u8])]) -> (DerivedFacts, Vec<Option<GetRange>>) {
    let (store, manifest) = recorded(files).await;
    let facts = derive(&BlobStore::new(store.clone()), &manifest).await.unwrap();
    let reads = store.reads.lock().unwrap().clone();
    (facts, reads)
}

#[tokio::test]
async fn a_large_weight_file_is_read_only_by_its_header() {
    let big = safetensors(&[("w", "F16", &[10 << 20])]);
    assert!(big.len() > 20 << 20);
    let (facts, reads) = derived_with_reads(&[("model.safetensors", &big)]).await;
    assert_eq!(value(&facts.parameters).map(|v| v.0), Some(10 << 20));
    assert_eq!(reads, [Some(GetRange::Bounded(0..64 << 10))]);
}

#[tokio::test]
async fn a_header_beyond_the_limit_is_refused_naming_the_file_and_limit_without_reading_it() {
    let header_len = (32u64 << 20) + 100;
    let mut huge = header_len.to_le_bytes().to_vec();
    huge.resize(8 + usize::try_from(header_len).unwrap() + 16, b' ');
    let small = safetensors(&[("w", "F16", &[8])]);
    let (store, manifest) = recorded(&[("shards/a.safetensors", &huge), ("b.safetensors", &small)]).await;
    let err = derive(&BlobStore::new(store.clone()), &manifest).await.unwrap_err();
    let RegistryError::FileHeaderTooLarge { path, limit, max, message } = &err else { panic!("{err:?}") };
    assert_eq!((path.as_str(), *limit, *max), ("shards/a.safetensors", "header_bytes", 16 << 20));
    assert!(message.contains(&header_len.to_string()), "{message}");
    assert!(err.to_string().starts_with("files: 'shards/a.safetensors': "), "{err}");
    let reads = store.reads.lock().unwrap().clone();
    assert!(reads.iter().all(|r| matches!(r, Some(GetRange::Bounded(r)) if r.end <= 64 << 10)), "{reads:?}");
}

#[tokio::test]
async fn a_config_json_beyond_the_limit_is_refused_naming_the_file() {
    let mut config = br#"{"architectures":["A"]}"#.to_vec();
    config.resize((16 << 20) + 1, b' ');
    let (store, manifest) = recorded(&[("config.json", &config)]).await;
    let err = derive(&BlobStore::new(store.clone()), &manifest).await.unwrap_err();
    let RegistryError::FileHeaderTooLarge { path, limit, .. } = &err else { panic!("{err:?}") };
    assert_eq!((path.as_str(), *limit), ("config.json", "file_bytes"));
    assert!(store.reads.lock().unwrap().is_empty(), "refused before reading");
}

#[tokio::test]
async fn entries_sharing_a_digest_are_read_once_and_each_counted() {
    let shard = safetensors(&[("w", "BF16", &[64, 32])]);
    let paths: Vec<String> = (0..16).map(|i| format!("copy-{i:02}.safetensors")).collect();
    let files: Vec<(&str, &[u8])> = paths.iter().map(|p| (p.as_str(), shard.as_slice())).collect();
    let (facts, reads) = derived_with_reads(&files).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(value(&facts.parameters), Some((16 * 64 * 32, "copy-00.safetensors".to_owned(), 16)));
}

#[tokio::test]
async fn a_derivation_past_its_time_budget_is_unavailable() {
    let shard = safetensors(&[("w", "BF16", &[64, 32])]);
    let (store, manifest) = recorded(&[("model.safetensors", &shard)]).await;
    *store.read_delay.lock().unwrap() = Duration::from_secs(5);
    let err = derive_within(&BlobStore::new(store), &manifest, Duration::from_millis(50)).await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
}

pub(crate) fn model() -> ModelName {
    "acme/llama".parse().unwrap()
}

pub(crate) fn v1() -> Version {
    "1.0.0".parse().unwrap()
}

#[tokio::test]
async fn a_malformed_safetensors_file_does_not_fail_the_publish() {
    let garbage = b"this is not a safetensors file at all".to_vec();
    let files: [(&str, &[u8]); 1] = [("model.safetensors", &garbage)];
    let (registry, _dir) = registry_with(&files).await;
    registry
        .publish(&root(), &model(), &v1(), manifest_of(&files, json!({"parameters": 1000})))
        .await
        .unwrap();
    let facts = registry.resolve(&model(), &VersionSelector::Exact(v1())).await.unwrap().facts;
    let parameters = &facts[&DerivedField::Parameters];
    assert_eq!((parameters.source, &parameters.derived), (FactSource::Declared, &None));
    // The name still tells the format.
    assert_eq!(facts[&DerivedField::Format].value, json!("safetensors"));
}

#[tokio::test]
async fn publishing_refuses_a_contradiction_naming_both_values_unless_overridden() {
    let weights = safetensors(&[("w", "BF16", &[100, 10])]);
    let files: [(&str, &[u8]); 1] = [("model.safetensors", &weights)];
    let (registry, _dir) = registry_with(&files).await;
    let mut manifest = manifest_of(&files, json!({"parameters": 2000, "precision": "fp32"}));
    let err = registry.publish(&root(), &model(), &v1(), manifest.clone()).await.unwrap_err();
    let RegistryError::Contradicted(contradictions) = &err else { panic!("{err:?}") };
    let fields: Vec<_> = contradictions.0.iter().map(|c| c.field).collect();
    assert_eq!(fields, [DerivedField::Parameters, DerivedField::Precision]);
    let message = err.to_string();
    for part in [
        "invalid manifest: metadata.parameters: declared 2000 but model.safetensors says 1000",
        "metadata.precision: declared \"fp32\" but model.safetensors says \"bf16\"",
        "add \"precision\" to override_derived",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    manifest.override_derived = BTreeSet::from([DerivedField::Parameters, DerivedField::Precision]);
    assert!(registry.publish(&root(), &model(), &v1(), manifest).await.unwrap().created);
}

#[tokio::test]
async fn published_facts_are_stored_and_resolved() {
    let weights = safetensors(&[("w", "BF16", &[100, 10])]);
    let config = json!({"architectures": ["LlamaForCausalLM"], "max_position_embeddings": 2048}).to_string();
    let files: [(&str, &[u8]); 2] = [("model.safetensors", &weights), ("config.json", config.as_bytes())];
    let (registry, _dir) = registry_with(&files).await;
    let manifest = manifest_of(&files, json!({"parameters": 1000, "context_length": 2048}));
    registry.publish(&root(), &model(), &v1(), manifest).await.unwrap();

    let resolved = registry.resolve(&model(), &VersionSelector::Exact(v1())).await.unwrap();
    let facts = &resolved.facts;
    let source = |f: DerivedField| facts.get(&f).map(|fact| (fact.source, fact.value.clone()));
    assert_eq!(source(DerivedField::Parameters), Some((FactSource::Declared, json!(1000))));
    assert_eq!(source(DerivedField::ContextLength), Some((FactSource::Declared, json!(2048))));
    assert_eq!(source(DerivedField::Precision), Some((FactSource::Derived, json!("bf16"))));
    assert_eq!(source(DerivedField::Architecture), Some((FactSource::Derived, json!("LlamaForCausalLM"))));
    assert_eq!(source(DerivedField::Format), Some((FactSource::Derived, json!("safetensors"))));
    assert_eq!(facts[&DerivedField::Parameters].derived, Some(json!(1000)));
    assert_eq!(facts[&DerivedField::Precision].file.as_ref().map(|f| f.as_str()), Some("model.safetensors"));
}
