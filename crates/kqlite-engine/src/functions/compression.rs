//! Compression to and from base64 text: `zlib_compress_to_base64_string`,
//! `zlib_decompress_from_base64_string`, `gzip_compress_to_base64_string`
//! and `gzip_decompress_from_base64_string` (cargo feature `compression`).

use super::encoding::{base64_decode, base64_encode, map};
use super::{arity, Func};
use crate::function::{check_value_size, ColumnarValue, FunctionError, MAX_VALUE_BYTES};
use crate::types::DataType;

pub(super) fn functions() -> Vec<Func> {
    let text = |a: &[DataType]| arity(a, 1, 1).map(|_| DataType::String);
    vec![
        Func::plain("zlib_compress_to_base64_string", text, |a, r, _| {
            Ok(map(a, r, |s, out| base64_encode(&zlib_compress(s), out)))
        }),
        Func::plain("zlib_decompress_from_base64_string", text, |a, r, _| {
            inflate_column(a, r, false)
        }),
        Func::plain("gzip_compress_to_base64_string", text, |a, r, _| {
            Ok(map(a, r, |s, out| base64_encode(&gzip_stored(s), out)))
        }),
        Func::plain("gzip_decompress_from_base64_string", text, |a, r, _| {
            inflate_column(a, r, true)
        }),
    ]
}

/// Deflates `text` into a zlib stream.
fn zlib_compress(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(text.as_bytes())
        .and_then(|()| z.finish())
        .unwrap_or_default()
}

/// Wraps `text` in a gzip member made of stored (uncompressed) deflate
/// blocks, byte for byte what Kusto produces: header with zero mtime and
/// `OS = 255`, then the blocks, CRC-32 and length.
fn gzip_stored(text: &str) -> Vec<u8> {
    let data = text.as_bytes();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// `inflate_text` of every row; the first value over the size cap fails
/// the call (and later rows are not inflated).
fn inflate_column(
    args: &[ColumnarValue],
    rows: usize,
    gzip: bool,
) -> Result<ColumnarValue, FunctionError> {
    let mut failed: Option<FunctionError> = None;
    let out = map(args, rows, |s, out| {
        if failed.is_some() {
            return;
        }
        match inflate_text(s, gzip) {
            Ok(text) => out.push_str(&text),
            Err(e) => failed = Some(e),
        }
    });
    failed.map_or(Ok(out), Err)
}

/// Base64-decodes and inflates (gzip or zlib) to UTF-8 text; anything
/// malformed gives the empty string. Inflating streams and stops one byte
/// past [`MAX_VALUE_BYTES`], so a small input that inflates to gigabytes
/// (a decompression bomb) fails without the gigabytes ever existing.
fn inflate_text(b64: &str, gzip: bool) -> Result<String, FunctionError> {
    use std::io::Read;
    let Some(raw) = base64_decode(b64) else {
        return Ok(String::new());
    };
    let cap = MAX_VALUE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let ok = if gzip {
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(cap)
            .read_to_end(&mut bytes)
    } else {
        flate2::read::ZlibDecoder::new(raw.as_slice())
            .take(cap)
            .read_to_end(&mut bytes)
    };
    check_value_size(bytes.len())?;
    match (ok, String::from_utf8(bytes)) {
        (Ok(_), Ok(text)) => Ok(text),
        _ => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};

    #[test]
    fn gzip_round_trips_and_matches_kusto_bytes() {
        let packed = "H4sIAAAAAAAA/wEUAOv/MTIzNDU2Nzg5MHF3ZXJ0eXVpb3A6m7f2FAAAAA==";
        assert_eq!(
            call(
                "gzip_compress_to_base64_string",
                &[s("1234567890qwertyuiop")]
            ),
            s(packed)
        );
        assert_eq!(
            call("gzip_decompress_from_base64_string", &[s(packed)]),
            s("1234567890qwertyuiop")
        );
        assert_eq!(
            call("gzip_decompress_from_base64_string", &[s("x0x0x0")]),
            s("")
        );
    }

    #[test]
    fn zlib_round_trips() {
        assert_eq!(
            call(
                "zlib_decompress_from_base64_string",
                &[s("eJwLSS0uUSguKcrMS1cwNDIGACxqBQ4=")]
            ),
            s("Test string 123")
        );
        let packed = call("zlib_compress_to_base64_string", &[s("abcabcabc")]);
        assert_eq!(
            call("zlib_decompress_from_base64_string", &[packed]),
            s("abcabcabc")
        );
    }
}
