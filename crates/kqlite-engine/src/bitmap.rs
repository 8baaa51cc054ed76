//! A packed bit vector, used for validity (non-null) masks and filter masks.

/// A fixed-length vector of bits packed into 64-bit words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    /// `len` bits, all set to `value`.
    pub fn new(len: usize, value: bool) -> Bitmap {
        let fill = if value { u64::MAX } else { 0 };
        let mut b = Bitmap {
            words: vec![fill; len.div_ceil(64)],
            len,
        };
        b.clear_tail();
        b
    }

    /// Builds a bitmap from booleans.
    pub fn from_bools(bits: impl IntoIterator<Item = bool>) -> Bitmap {
        let bits = bits.into_iter();
        let mut words = Vec::with_capacity(bits.size_hint().0.div_ceil(64));
        let (mut len, mut word) = (0usize, 0u64);
        for bit in bits {
            word |= u64::from(bit) << (len % 64);
            len += 1;
            if len % 64 == 0 {
                words.push(word);
                word = 0;
            }
        }
        if len % 64 != 0 {
            words.push(word);
        }
        Bitmap { words, len }
    }

    /// Bits `start..start + len` (clamped to this bitmap).
    pub fn slice(&self, start: usize, len: usize) -> Bitmap {
        let end = start.saturating_add(len).min(self.len);
        let start = start.min(end);
        if start % 64 == 0 {
            let mut b = Bitmap {
                words: self.words[start / 64..end.div_ceil(64)].to_vec(),
                len: end - start,
            };
            b.clear_tail();
            return b;
        }
        Bitmap::from_bools((start..end).map(|i| self.get(i)))
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`; out of range reads as `false`.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        i < self.len && (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    /// Sets bit `i`; out of range is ignored.
    #[inline]
    pub fn set(&mut self, i: usize, value: bool) {
        if i >= self.len {
            return;
        }
        let w = &mut self.words[i / 64];
        if value {
            *w |= 1 << (i % 64);
        } else {
            *w &= !(1 << (i % 64));
        }
    }

    /// Appends a bit.
    #[inline]
    pub fn push(&mut self, value: bool) {
        if self.len % 64 == 0 {
            self.words.push(0);
        }
        self.len += 1;
        self.set(self.len - 1, value);
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether every bit is set.
    pub fn all(&self) -> bool {
        self.count_ones() == self.len
    }

    /// Bitwise AND with another bitmap of the same length.
    pub fn and(&self, other: &Bitmap) -> Bitmap {
        let words = self
            .words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| a & b)
            .collect();
        Bitmap {
            words,
            len: self.len.min(other.len),
        }
    }

    /// Bitwise OR with another bitmap of the same length.
    pub fn or(&self, other: &Bitmap) -> Bitmap {
        let words = self
            .words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| a | b)
            .collect();
        let mut b = Bitmap {
            words,
            len: self.len.min(other.len),
        };
        b.clear_tail();
        b
    }

    /// Bitwise NOT.
    pub fn not(&self) -> Bitmap {
        let mut b = Bitmap {
            words: self.words.iter().map(|w| !w).collect(),
            len: self.len,
        };
        b.clear_tail();
        b
    }

    /// Indexes of the set bits, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let tz = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + tz)
            })
        })
    }

    /// The bits at `indices`, in that order.
    pub fn take(&self, indices: &[u32]) -> Bitmap {
        Bitmap::from_bools(indices.iter().map(|&i| self.get(i as usize)))
    }

    /// `len` bits from packed words: bit `i` is bit `i % 64` of word
    /// `i / 64`. Missing words read as unset; bits past `len` are cleared.
    pub fn from_words(mut words: Vec<u64>, len: usize) -> Bitmap {
        words.resize(len.div_ceil(64), 0);
        let mut b = Bitmap { words, len };
        b.clear_tail();
        b
    }

    /// The raw words (the bits past `len` are zero).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    fn clear_tail(&mut self) {
        let rem = self.len % 64;
        if rem != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << rem) - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_match_bit_by_bit_reads() {
        let b = Bitmap::from_bools((0..300).map(|i| i % 3 == 0 || i % 7 == 0));
        for (start, len) in [(0, 300), (64, 100), (5, 70), (128, 500), (299, 1), (300, 4)] {
            let s = b.slice(start, len);
            let end = (start + len).min(300);
            assert_eq!(s.len(), end.saturating_sub(start));
            for i in 0..s.len() {
                assert_eq!(s.get(i), b.get(start + i), "bit {i} of slice at {start}");
            }
            assert_eq!(s.count_ones(), (start..end).filter(|&i| b.get(i)).count());
        }
    }

    #[test]
    fn set_bits_are_listed_in_order() {
        let b = Bitmap::from_bools([true, false, true, true].into_iter().cycle().take(130));
        let ones: Vec<usize> = b.ones().collect();
        assert_eq!(ones.len(), b.count_ones());
        assert_eq!(&ones[..3], &[0, 2, 3]);
        assert!(!b.not().get(0));
        assert_eq!(b.not().count_ones(), 130 - b.count_ones());
    }
}
