//! Storage sizes of ggml tensor types (`enum ggml_type`): how many elements one block holds
//! and how many bytes it takes. A GGUF tensor of `n` elements of a type takes
//! `n / block_elements * block_bytes` bytes; this is how quantized weights are measured.

/// `(elements per block, bytes per block)` of a ggml type id; `None` for ids this table does
/// not know (removed or newer types), whose tensors cannot be measured.
pub fn block_size(ggml_type: u32) -> Option<(u64, u64)> {
    Some(match ggml_type {
        0 => (1, 4),      // F32
        1 => (1, 2),      // F16
        2 => (32, 18),    // Q4_0: f16 scale + 16 bytes of nibbles
        3 => (32, 20),    // Q4_1: f16 scale and min + 16
        6 => (32, 22),    // Q5_0
        7 => (32, 24),    // Q5_1
        8 => (32, 34),    // Q8_0: f16 scale + 32 bytes
        9 => (32, 36),    // Q8_1
        10 => (256, 84),  // Q2_K
        11 => (256, 110), // Q3_K
        12 => (256, 144), // Q4_K: 2 f16 + 12 scale bytes + 128 bytes of nibbles
        13 => (256, 176), // Q5_K
        14 => (256, 210), // Q6_K
        15 => (256, 292), // Q8_K
        16 => (256, 66),  // IQ2_XXS
        17 => (256, 74),  // IQ2_XS
        18 => (256, 98),  // IQ3_XXS
        19 => (256, 50),  // IQ1_S
        20 => (32, 18),   // IQ4_NL
        21 => (256, 110), // IQ3_S
        22 => (256, 82),  // IQ2_S
        23 => (256, 136), // IQ4_XS
        24 => (1, 1),     // I8
        25 => (1, 2),     // I16
        26 => (1, 4),     // I32
        27 => (1, 8),     // I64
        28 => (1, 8),     // F64
        29 => (256, 56),  // IQ1_M
        30 => (1, 2),     // BF16
        34 => (256, 54),  // TQ1_0
        35 => (256, 66),  // TQ2_0
        39 => (32, 17),   // MXFP4
        _ => return None,
    })
}

/// Bytes of a tensor of `elements` elements of `ggml_type`; a partial last block counts whole.
pub fn tensor_bytes(ggml_type: u32, elements: u64) -> Option<u64> {
    let (per_block, bytes) = block_size(ggml_type)?;
    elements.div_ceil(per_block).checked_mul(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantized_types_take_their_block_bytes() {
        // One 4096 x 4096 matrix: 65,536 Q4_K blocks of 144 bytes = 4.5 bits per weight.
        assert_eq!(tensor_bytes(12, 4096 * 4096), Some(65_536 * 144));
        assert_eq!(tensor_bytes(8, 64), Some(2 * 34));
        assert_eq!(tensor_bytes(14, 256), Some(210));
        assert_eq!(tensor_bytes(1, 10), Some(20));
        assert_eq!(tensor_bytes(30, 10), Some(20));
        assert_eq!(tensor_bytes(0, 3), Some(12));
    }

    #[test]
    fn unknown_types_cannot_be_measured() {
        assert_eq!(tensor_bytes(4, 32), None, "Q4_2 was removed from ggml");
        assert_eq!(tensor_bytes(1000, 1), None);
    }
}
