//! dialtone-audio: sound devices (cpal) and tones (rodio); the only crate that touches sound hardware.
//!
//! Empty until the calls issue (#3) fills it: registration (#2) needs no audio.
