//! Randomness for keys, tokens and codes: the OS-seeded generator of aws-lc.

/// Fills `buf` with random bytes. aws-lc's generator only fails if the OS cannot provide
/// entropy; there is no safe way to go on then.
pub fn fill(buf: &mut [u8]) {
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(buf).expect("the operating system provides no randomness");
}

/// `n` random bytes as URL-safe base64 (tokens).
pub fn token(n: usize) -> String {
    use base64::Engine;
    let mut b = vec![0u8; n];
    fill(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A uniformly random decimal code of `digits` digits (confirmation codes).
pub fn digits(digits: u32) -> String {
    let modulus = 10u64.pow(digits);
    // Rejection sampling keeps the distribution uniform.
    let limit = u64::MAX - u64::MAX % modulus;
    loop {
        let mut b = [0u8; 8];
        fill(&mut b);
        let v = u64::from_le_bytes(b);
        if v < limit {
            return format!("{:0width$}", v % modulus, width = digits as usize);
        }
    }
}
