//! Writing DataFrames as Parquet (zstd, statistics, key-value metadata), in memory so
//! that the staging directory receives complete files only.

use polars::prelude::*;

use crate::error::Error;

/// Encodes `df` as a Parquet file with zstd compression and `metadata` key-values.
pub fn to_parquet(df: &DataFrame, metadata: &[(&str, String)]) -> Result<Vec<u8>, Error> {
    let mut df = df.clone();
    let mut buf: Vec<u8> = Vec::new();
    let kv: Vec<(String, String)> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(&mut df)?;
    Ok(buf)
}
