#![doc = include_str!("../README.md")]

pub mod csv;
mod dataset;
#[cfg(feature = "download")]
pub mod download;
mod error;
mod from_arrays;
mod idx;
pub mod mnist;
pub mod numpy;
mod scale;
pub mod synthetic;

pub use dataset::{Batch, Batches, Dataset};
pub use error::DataError;
pub use idx::{decode_idx, encode_idx, read_idx, write_idx, IdxArray, IdxData, IdxType};
pub use scale::{MinMaxScaler, Standardizer};
