//! Tiny encoders for the parser tests: a safetensors writer (header plus zero-filled data)
//! and a GGUF writer (magic, version, metadata, tensor infos, aligned zero data).

use serde_json::{Map, Value, json};

/// A safetensors file with the given `(name, dtype, shape)` tensors laid out back to back,
/// and the given `__metadata__`. Dtypes without a whole byte size take one byte per element.
pub fn safetensors_file(tensors: &[(&str, &str, &[u64])], metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut header = Map::new();
    if !metadata.is_empty() {
        let meta: Map<String, Value> = metadata.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        header.insert("__metadata__".into(), Value::Object(meta));
    }
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let size = match *dtype {
            "F64" | "I64" | "U64" => 8,
            "F32" | "I32" | "U32" => 4,
            "F16" | "BF16" | "I16" | "U16" => 2,
            _ => 1,
        };
        let len = shape.iter().product::<u64>() * size;
        header.insert(
            name.to_string(),
            json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len]}),
        );
        offset += len;
    }
    let header = Value::Object(header).to_string().into_bytes();
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(&header);
    file.resize(file.len() + offset as usize, 0);
    file
}

/// Builds a GGUF file. Metadata values are written with their type tags; tensor data is
/// 32 zero bytes per tensor after the aligned end of the header.
pub struct GgufWriter {
    version: u32,
    kv_count: u64,
    kvs: Vec<u8>,
    tensors: Vec<(String, Vec<u64>, u32)>,
}

impl GgufWriter {
    pub fn new(version: u32) -> Self {
        Self { version, kv_count: 0, kvs: Vec::new(), tensors: Vec::new() }
    }

    fn kv(mut self, key: &str, value_type: u32, value: &[u8]) -> Self {
        put_str(&mut self.kvs, key);
        self.kvs.extend_from_slice(&value_type.to_le_bytes());
        self.kvs.extend_from_slice(value);
        self.kv_count += 1;
        self
    }

    pub fn str(self, key: &str, value: &str) -> Self {
        let mut v = Vec::new();
        put_str(&mut v, value);
        self.kv(key, 8, &v)
    }

    pub fn u32(self, key: &str, value: u32) -> Self {
        self.kv(key, 4, &value.to_le_bytes())
    }

    pub fn u64(self, key: &str, value: u64) -> Self {
        self.kv(key, 10, &value.to_le_bytes())
    }

    pub fn i32(self, key: &str, value: i32) -> Self {
        self.kv(key, 5, &value.to_le_bytes())
    }

    pub fn f32(self, key: &str, value: f32) -> Self {
        self.kv(key, 6, &value.to_le_bytes())
    }

    pub fn bool(self, key: &str, value: bool) -> Self {
        self.kv(key, 7, &[u8::from(value)])
    }

    /// An array of strings, like `tokenizer.ggml.tokens`.
    pub fn str_array(self, key: &str, items: &[String]) -> Self {
        let mut v = 8u32.to_le_bytes().to_vec();
        v.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for item in items {
            put_str(&mut v, item);
        }
        self.kv(key, 9, &v)
    }

    /// An array of `count` f32 values, like `tokenizer.ggml.scores`.
    pub fn f32_array(self, key: &str, count: u64) -> Self {
        let mut v = 6u32.to_le_bytes().to_vec();
        v.extend_from_slice(&count.to_le_bytes());
        v.resize(v.len() + count as usize * 4, 0);
        self.kv(key, 9, &v)
    }

    /// An array of two arrays of u16.
    pub fn nested_array(self, key: &str) -> Self {
        let mut v = 9u32.to_le_bytes().to_vec();
        v.extend_from_slice(&2u64.to_le_bytes());
        for n in [1u64, 3] {
            v.extend_from_slice(&2u32.to_le_bytes());
            v.extend_from_slice(&n.to_le_bytes());
            v.resize(v.len() + n as usize * 2, 0);
        }
        self.kv(key, 9, &v)
    }

    /// An F16 tensor.
    pub fn tensor(self, name: &str, dims: &[u64]) -> Self {
        self.typed_tensor(name, dims, 1)
    }

    /// A tensor of a ggml type id (12 = Q4_K, 14 = Q6_K, 0 = F32, ...).
    pub fn typed_tensor(mut self, name: &str, dims: &[u64], ggml_type: u32) -> Self {
        self.tensors.push((name.to_owned(), dims.to_vec(), ggml_type));
        self
    }

    /// The file, and the length of its header up to the end of the tensor infos.
    pub fn build(&self) -> (Vec<u8>, usize) {
        let mut f = b"GGUF".to_vec();
        f.extend_from_slice(&self.version.to_le_bytes());
        f.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        f.extend_from_slice(&self.kv_count.to_le_bytes());
        f.extend_from_slice(&self.kvs);
        for (i, (name, dims, ggml_type)) in self.tensors.iter().enumerate() {
            put_str(&mut f, name);
            f.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in dims {
                f.extend_from_slice(&d.to_le_bytes());
            }
            f.extend_from_slice(&ggml_type.to_le_bytes());
            f.extend_from_slice(&(i as u64 * 32).to_le_bytes());
        }
        let header_len = f.len();
        f.resize(header_len.div_ceil(32) * 32 + self.tensors.len() * 32, 0);
        (f, header_len)
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A small deterministic xorshift64 generator for the robustness loops.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}
