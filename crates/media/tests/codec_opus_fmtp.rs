//! The Opus fmtp line (RFC 7587 §6.1): parsing, printing and its effect on the encoder.

use dialtone_media::codec::opus::{FrameDuration, OpusConfig, OpusEncoder, OpusParams};

#[test]
fn fmtp_parses_every_rfc7587_parameter() {
    let p = OpusParams::from_fmtp(
        "maxplaybackrate=16000;sprop-maxcapturerate=16000;stereo=1;sprop-stereo=0;\
         useinbandfec=1;usedtx=0;cbr=1;maxaveragebitrate=20000;ptime=40;minptime=10;maxptime=60",
    );
    assert_eq!(
        p,
        OpusParams {
            max_playback_rate: Some(16000),
            sprop_max_capture_rate: Some(16000),
            stereo: Some(true),
            sprop_stereo: Some(false),
            use_inband_fec: Some(true),
            use_dtx: Some(false),
            cbr: Some(true),
            max_average_bitrate: Some(20000),
            ptime: Some(40),
            min_ptime: Some(10),
            max_ptime: Some(60),
        }
    );
}

#[test]
fn fmtp_tolerates_prefixes_spaces_case_and_junk() {
    let p = OpusParams::from_fmtp(
        "a=fmtp:111 MaxPlaybackRate=8000; useinbandfec = 1;;x;foo=bar;stereo=yes",
    );
    assert_eq!(p.max_playback_rate, Some(8000));
    assert_eq!(p.use_inband_fec, Some(true));
    assert_eq!(p.stereo, None, "a non-0/1 flag is ignored");
    assert_eq!(OpusParams::from_fmtp(""), OpusParams::default());
    assert_eq!(OpusParams::from_fmtp("111 minptime=10").min_ptime, Some(10));
}

#[test]
fn fmtp_prints_what_it_parses() {
    let line = "maxplaybackrate=24000;maxaveragebitrate=40000;ptime=20;stereo=0;useinbandfec=1";
    let p = OpusParams::from_fmtp(line);
    assert_eq!(p.to_fmtp(), line);
    assert_eq!(OpusParams::from_fmtp(&p.to_fmtp()), p);
}

#[test]
fn fmtp_steers_the_encoder_settings() {
    let base = OpusConfig::default();
    let c = OpusParams::from_fmtp("maxplaybackrate=16000;maxaveragebitrate=20000;ptime=40")
        .apply_to(base.clone());
    assert_eq!(c.max_playback_rate, 16000);
    assert_eq!(c.bitrate_bps, 20000);
    assert_eq!(c.frame, FrameDuration::Ms40);
    assert!(c.inband_fec, "absent useinbandfec keeps FEC on");

    let c = OpusParams::from_fmtp("useinbandfec=0;cbr=1;stereo=0;ptime=30;maxptime=20")
        .apply_to(base.clone());
    assert!(!c.inband_fec && !c.vbr && !c.stereo);
    assert_eq!(c.frame, FrameDuration::Ms20, "ptime 30 within maxptime 20");

    let c = OpusParams::from_fmtp("maxptime=10").apply_to(base.clone());
    assert_eq!(c.frame, FrameDuration::Ms10);

    // A bitrate cap below Opus's floor is raised to it instead of breaking the encoder.
    let c = OpusParams::from_fmtp("maxaveragebitrate=1000").apply_to(base);
    assert_eq!(c.bitrate_bps, 6000);
    assert!(OpusEncoder::new(c).is_ok());
}
