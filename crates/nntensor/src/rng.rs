//! A small seeded random number generator whose stream is part of our API.
//!
//! The generator is **xoshiro256\*\*** (Blackman & Vigna, 2018), seeded by expanding a `u64`
//! through **SplitMix64**. Floats are made from the high bits of each `u64`; normal samples use
//! the Box–Muller transform with `libm`'s `log`/`cos`, which are bit-identical on every platform.
//! For a given seed the stream never changes across platforms or releases of nnfacade: the test
//! `stream_is_pinned` fails if it does.

/// A deterministic random number generator (xoshiro256\*\* seeded through SplitMix64).
///
/// ```
/// use nntensor::Rng;
/// let mut a = Rng::seed_from(42);
/// let mut b = Rng::seed_from(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let x = a.next_f32();
/// assert!((0.0..1.0).contains(&x));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

/// One step of SplitMix64: advances `state` and returns the next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Output `j` of the SplitMix64 stream started at `key`: the mix of `key + j·γ`, as
/// [`splitmix64`] returns it after `j` steps (no state, so a loop of these vectorises).
#[inline(always)]
fn splitmix64_at(key: u64, j: u64) -> u64 {
    let mut z = key.wrapping_add(j.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seed_from(seed: u64) -> Self {
        let mut sm = seed;
        let state = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { state }
    }

    /// The generator's full internal state, to save it (e.g. in a checkpoint) and resume the stream.
    pub fn state(&self) -> [u64; 4] {
        self.state
    }

    /// A generator that continues exactly where the one whose [`Rng::state`] this was stopped.
    /// An all-zero state (which xoshiro cannot leave) is replaced by the state of seed 0.
    pub fn from_state(state: [u64; 4]) -> Self {
        if state == [0; 4] {
            return Rng::seed_from(0);
        }
        Rng { state }
    }

    /// An independent generator for a sub-task (e.g. one per epoch), derived from this one's next output.
    pub fn fork(&mut self) -> Rng {
        Rng::seed_from(self.next_u64())
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform `f32` in `[0, 1)` with 24 random bits.
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `len` values, each `scale` with probability `keep` and 0 otherwise: a dropout mask.
    ///
    /// Takes one `u64` from this generator as a key, then draws the mask from the SplitMix64
    /// stream that key starts (output `j` is SplitMix64's mix of `key + (j + 1)·γ`), 24 bits per
    /// value, two values per output: value `i` is kept when its 24 bits, as a fraction of 2^24,
    /// are below `keep`, as `next_f32() < keep` would be. Each output depends only on its index,
    /// so the loop has no chain from one value to the next and vectorises: drawing every value
    /// by `next_f32` was 3–4 % of a step of the Keras convnet. The mask depends only on the
    /// generator's state and `len`.
    ///
    /// ```
    /// use nntensor::Rng;
    /// let mask = Rng::seed_from(1).keep_mask(10_000, 0.25, 4.0);
    /// assert!(mask.iter().all(|&m| m == 0.0 || m == 4.0));
    /// let kept = mask.iter().filter(|&&m| m == 4.0).count();
    /// assert!((2300..2700).contains(&kept));
    /// assert_eq!(mask, Rng::seed_from(1).keep_mask(10_000, 0.25, 4.0));
    /// ```
    pub fn keep_mask(&mut self, len: usize, keep: f32, scale: f32) -> Vec<f32> {
        let key = self.next_u64();
        // Exact: a power-of-two scaling. `u < threshold` for a 24-bit u is `u / 2^24 < keep`.
        let threshold = keep * (1u32 << 24) as f32;
        let value = |bits: u64| {
            let kept = ((bits & 0xFF_FFFF) as u32 as f32) < threshold;
            f32::from(u8::from(kept)) * scale
        };
        let mut mask = vec![0.0f32; len];
        crate::cpu::wide(
            #[inline(always)]
            || {
                let mut pairs = mask.chunks_exact_mut(2);
                let mut j = 0u64;
                for pair in &mut pairs {
                    j += 1;
                    let bits = splitmix64_at(key, j);
                    pair[0] = value(bits >> 40);
                    pair[1] = value(bits >> 8);
                }
                if let [last] = pairs.into_remainder() {
                    *last = value(splitmix64_at(key, j + 1) >> 40);
                }
            },
        );
        mask
    }

    /// A uniform `f32` in `[low, high)`.
    #[inline]
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        let x = low + (high - low) * self.next_f32();
        // Rounding can land exactly on `high`; keep the interval half-open.
        if x < high {
            x
        } else {
            low
        }
    }

    /// A standard normal sample (mean 0, standard deviation 1), by Box–Muller in `f64`.
    pub fn normal(&mut self) -> f32 {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        let radius = libm::sqrt(-2.0 * libm::log(u1));
        (radius * libm::cos(std::f64::consts::TAU * u2)) as f32
    }

    /// A uniform integer in `0..n` without modulo bias. Panics if `n == 0`.
    #[track_caller]
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below: n must be positive");
        let n = n as u64;
        // Reject the top partial block of 2^64 so every value is equally likely.
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates, from the last element down).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        self.shuffle(&mut order);
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference() {
        // First output of SplitMix64 from state 0, as printed by Vigna's reference C code.
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn keep_mask_is_splitmix_of_one_key() {
        // The mask is SplitMix64's stream from one key, 24 bits per value (high, then bits 8..32).
        let (len, keep, scale) = (101, 0.4f32, 2.5f32);
        let mut rng = Rng::seed_from(11);
        let mask = rng.clone().keep_mask(len, keep, scale);
        let mut state = rng.next_u64();
        let mut expected = Vec::new();
        while expected.len() < len {
            let bits = splitmix64(&mut state);
            for u in [bits >> 40, (bits >> 8) & 0xFF_FFFF] {
                let kept = (u as f32 / (1u64 << 24) as f32) < keep;
                expected.push(if kept { scale } else { 0.0 });
            }
        }
        expected.truncate(len);
        assert_eq!(mask, expected);
        // The generator moved on by exactly one output.
        let mut after = Rng::seed_from(11);
        after.keep_mask(len, keep, scale);
        assert_eq!(after, rng);
    }

    #[test]
    fn keep_mask_rate() {
        let mask = Rng::seed_from(2).keep_mask(1_000_001, 0.5, 2.0);
        let kept = mask.iter().filter(|&&m| m == 2.0).count() as f64 / mask.len() as f64;
        assert!((kept - 0.5).abs() < 0.002, "kept {kept}");
        assert!(Rng::seed_from(2).keep_mask(0, 0.5, 2.0).is_empty());
        assert!(Rng::seed_from(2)
            .keep_mask(64, 0.0, 2.0)
            .iter()
            .all(|&m| m == 0.0));
    }

    #[test]
    fn stream_is_pinned() {
        // These values pin the stream: if this test fails, every seeded result changes.
        let mut rng = Rng::seed_from(42);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(got, PINNED_U64);
        let mut rng = Rng::seed_from(7);
        let f: Vec<u32> = (0..3).map(|_| rng.normal().to_bits()).collect();
        assert_eq!(f, PINNED_NORMAL_BITS);
    }

    // Cross-checked against an independent Python transcription of the reference C code.
    const PINNED_U64: [u64; 3] = [
        1546998764402558742,
        6990951692964543102,
        12544586762248559009,
    ];
    const PINNED_NORMAL_BITS: [u32; 3] = [3197033532, 1072901022, 1074313533];

    #[test]
    fn state_round_trip_continues_the_stream() {
        let mut a = Rng::seed_from(5);
        a.next_u64();
        let mut b = Rng::from_state(a.state());
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut rng = Rng::seed_from(1);
        let n = 200_000;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let x = rng.normal() as f64;
            s += x;
            s2 += x * x;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
        let u: f64 = (0..n).map(|_| rng.next_f32() as f64).sum::<f64>() / n as f64;
        assert!((u - 0.5).abs() < 0.005, "uniform mean {u}");
    }

    #[test]
    fn shuffle_is_a_permutation_and_seeded() {
        let p = Rng::seed_from(3).permutation(100);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(p, Rng::seed_from(3).permutation(100));
        assert_ne!(p, Rng::seed_from(4).permutation(100));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::seed_from(9);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
