//! A small portable pseudo-random generator: xoshiro256** seeded through
//! SplitMix64.
//!
//! Written here rather than taken from a crate so that the generated data can
//! never change under a dependency upgrade: the same seed yields the same
//! stream on every platform and every build. Independent streams are derived
//! from the seed and a name (`"table/SigninLogs"`, `"scenario/..."`), so
//! generating one table never shifts the random numbers another one sees.

/// One step of SplitMix64: advances `state` and returns a well-mixed word.
/// A stateless hash of `key`: the same key always gives the same value.
/// Used for decisions that must hold for a while (a user travelling for a
/// whole day), not per row.
pub(crate) fn hash64(key: u64) -> u64 {
    let mut state = key;
    splitmix64(&mut state)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes of `name`: a stable, platform-independent hash.
fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// xoshiro256** state.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded from one word.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// The independent stream called `name` of `seed`.
    pub(crate) fn stream(seed: u64, name: &str) -> Rng {
        let mut sm = seed ^ fnv1a(name);
        Rng::new(splitmix64(&mut sm))
    }

    /// The next 64 random bits.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// 128 random bits.
    #[inline]
    pub(crate) fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// A random guid value with the version-4 and variant bits set.
    #[inline]
    pub(crate) fn guid(&mut self) -> u128 {
        let g = self.next_u128();
        (g & !(0xF_u128 << 76) & !(0x3_u128 << 62)) | (0x4_u128 << 76) | (0x2_u128 << 62)
    }

    /// A number in `0..n` (`0` when `n` is zero), by Lemire's multiply-shift.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// An index in `0..n` (`0` when `n` is zero).
    #[inline]
    pub(crate) fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    #[inline]
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi.abs_diff(lo)) as i64
    }

    /// A real in `[0, 1)`.
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// True with probability `p`.
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A discrete distribution over `0..weights.len()`.
///
/// Sampling maps one random word both to a point under the cumulative
/// weights and to a bucket of a guide table that says where to start
/// looking, so a draw costs one or two comparisons on average even over
/// thousands of outcomes (the tenant's users).
#[derive(Debug, Clone)]
pub(crate) struct Weighted {
    cumulative: Vec<u64>,
    /// `guide[b]`: the first outcome whose cumulative weight exceeds the
    /// lowest point bucket `b` covers.
    guide: Vec<u32>,
    total: u64,
}

impl Weighted {
    /// A distribution proportional to `weights`.
    pub(crate) fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut total = 0_u64;
        let cumulative: Vec<u64> = weights
            .into_iter()
            .map(|w| {
                total += u64::from(w);
                total
            })
            .collect();
        let buckets = cumulative.len().next_power_of_two().max(1);
        let guide = (0..buckets)
            .map(|b| {
                let low = ((b as u128 * u128::from(total)) / buckets as u128) as u64;
                cumulative.partition_point(|&c| c <= low) as u32
            })
            .collect();
        Weighted {
            cumulative,
            guide,
            total,
        }
    }

    /// Draws an index; `0` for an empty or all-zero distribution.
    #[inline]
    pub(crate) fn pick(&self, rng: &mut Rng) -> usize {
        if self.total == 0 {
            return 0;
        }
        let r = u128::from(rng.next_u64());
        let x = ((r * u128::from(self.total)) >> 64) as u64;
        let b = ((r * self.guide.len() as u128) >> 64) as usize;
        let mut i = self.guide.get(b).copied().unwrap_or(0) as usize;
        while self.cumulative.get(i).is_some_and(|&c| c <= x) {
            i += 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let mut a = Rng::stream(7, "table/SigninLogs");
        let mut b = Rng::stream(7, "table/SigninLogs");
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn streams_with_different_names_differ() {
        let mut a = Rng::stream(7, "table/SigninLogs");
        let mut b = Rng::stream(7, "table/AuditLogs");
        assert_ne!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn the_first_output_is_pinned_so_data_never_drifts() {
        // Changing this value changes every generated dataset.
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0x99EC_5F36_CB75_F2B4);
    }

    #[test]
    fn weighted_picks_follow_the_weights() {
        let w = Weighted::new([0, 9, 1]);
        let mut r = Rng::new(1);
        let mut counts = [0_usize; 3];
        for _ in 0..10_000 {
            counts[w.pick(&mut r)] += 1;
        }
        assert_eq!(counts[0], 0);
        assert!(counts[1] > 8_500 && counts[2] > 700, "{counts:?}");
    }

    #[test]
    fn weighted_picks_match_a_binary_search_over_the_same_draws() {
        let weights: Vec<u32> = (0..1_000).map(|i| (i * 7919 % 97) as u32).collect();
        let w = Weighted::new(weights.iter().copied());
        let (mut a, mut b) = (Rng::new(11), Rng::new(11));
        for _ in 0..10_000 {
            let x = ((u128::from(b.next_u64()) * u128::from(w.total)) >> 64) as u64;
            let expected = w.cumulative.partition_point(|&c| c <= x);
            assert_eq!(w.pick(&mut a), expected);
        }
    }

    #[test]
    fn guids_carry_version_four_bits() {
        let g = Rng::new(3).guid();
        assert_eq!((g >> 76) & 0xF, 4);
        assert_eq!((g >> 62) & 0x3, 2);
    }

    #[test]
    fn ranges_stay_in_bounds_and_empty_ranges_give_the_low_end() {
        let mut r = Rng::new(5);
        for _ in 0..1000 {
            let x = r.range(-3, 4);
            assert!((-3..4).contains(&x));
        }
        assert_eq!(r.range(9, 9), 9);
    }
}
