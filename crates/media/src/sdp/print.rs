//! [`SessionDescription`] → text, in RFC 8866 §5 order with CRLF line ends.

use std::fmt::{self, Display, Formatter, Write as _};

use super::model::{Attribute, Bandwidth, Connection, MediaDescription, SessionDescription};

impl SessionDescription {
    /// The SDP as bytes, ready to be a message body.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        line(f, 'v', "0")?;
        line(
            f,
            'o',
            format_args!(
                "{} {} {} {} {} {}",
                o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
            ),
        )?;
        line(f, 's', &self.session_name)?;
        if let Some(information) = &self.information {
            line(f, 'i', information)?;
        }
        if let Some(uri) = &self.uri {
            line(f, 'u', uri)?;
        }
        for email in &self.emails {
            line(f, 'e', email)?;
        }
        for phone in &self.phones {
            line(f, 'p', phone)?;
        }
        if let Some(connection) = &self.connection {
            line(f, 'c', connection)?;
        }
        bandwidths(f, &self.bandwidths)?;
        if self.timings.is_empty() {
            line(f, 't', "0 0")?;
        }
        for timing in &self.timings {
            line(f, 't', format_args!("{} {}", timing.start, timing.stop))?;
            for repeat in &timing.repeats {
                line(f, 'r', repeat)?;
            }
        }
        if let Some(zones) = &self.time_zones {
            line(f, 'z', zones)?;
        }
        if let Some(key) = &self.key {
            line(f, 'k', key)?;
        }
        attributes(f, &self.attributes)?;
        for media in &self.media {
            media.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for MediaDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut m = self.media.clone();
        write!(m, " {}", self.port)?;
        if let Some(count) = self.port_count {
            write!(m, "/{count}")?;
        }
        write!(m, " {}", self.proto)?;
        for format in &self.formats {
            write!(m, " {format}")?;
        }
        line(f, 'm', m)?;
        if let Some(information) = &self.information {
            line(f, 'i', information)?;
        }
        for connection in &self.connections {
            line(f, 'c', connection)?;
        }
        bandwidths(f, &self.bandwidths)?;
        if let Some(key) = &self.key {
            line(f, 'k', key)?;
        }
        attributes(f, &self.attributes)
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}:{}", self.name, value),
            None => f.write_str(&self.name),
        }
    }
}

fn line(f: &mut Formatter<'_>, kind: char, value: impl Display) -> fmt::Result {
    write!(f, "{kind}={value}\r\n")
}

fn bandwidths(f: &mut Formatter<'_>, list: &[Bandwidth]) -> fmt::Result {
    list.iter()
        .try_for_each(|b| line(f, 'b', format_args!("{}:{}", b.kind, b.value)))
}

fn attributes(f: &mut Formatter<'_>, list: &[Attribute]) -> fmt::Result {
    list.iter().try_for_each(|a| line(f, 'a', a))
}
