//! tesseract's `binref` side files for code that manages the folders itself: a server
//! answering with `json+binref`, a tool moving payloads between machines.
//!
//! Most code never names these: [`DecodeOptions::binref_dir`](crate::DecodeOptions::binref_dir)
//! and [`EncodeOptions::binref_dir`](crate::EncodeOptions::binref_dir) make the decoders
//! and encoders use them. Reading is confined to the base folder (see [`BinrefReader`]);
//! writing goes through temporary names renamed into place by
//! [`BinrefWriter::finish`]. Opening files needs the feature `binref`; without it every
//! read and write is an error naming the feature.
//!
//! ```
//! # #[cfg(feature = "binref")] {
//! use arraymodel::binref::{BinrefReader, BinrefWriter, Reference};
//! use arraymodel::{DType, Limits};
//!
//! let dir = std::env::temp_dir().join(format!("am-doc-binref-{}", std::process::id()));
//! let mut writer = BinrefWriter::new(&dir, "");
//! let reference = writer.append(&[1u8, 2, 3], false).unwrap(); // "<uuid4>.bin:0"
//! writer.finish().unwrap();
//! assert_eq!(Reference::parse(&reference).unwrap().offset, 0);
//!
//! let a = BinrefReader::new(&dir).unwrap()
//!     .read(&reference, DType::UInt8, vec![3], false, &Limits::default())
//!     .unwrap();
//! assert_eq!(a.as_slice::<u8>().unwrap(), &[1, 2, 3]);
//! // Nothing outside the folder is ever read:
//! assert!(BinrefReader::new(&dir).unwrap()
//!     .read("../x.bin:0", DType::UInt8, vec![1], false, &Limits::default())
//!     .is_err());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! ```

pub use crate::codec::binref::{BinrefReader, BinrefWriter, MAX_FILE_BYTES, Reference, view};

#[cfg(feature = "binref-store")]
pub mod store;
