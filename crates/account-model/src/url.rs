//! URL pieces both sides build: the client's request paths, the server's download links.

/// Percent-encodes `raw` as one URL path segment (RFC 3986 unreserved bytes stay), so
/// no input can change the path around it.
pub fn path_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_segment_cannot_leave_its_place() {
        assert_eq!(
            super::path_segment("Account Settings_0.2.0_amd64.deb"),
            "Account%20Settings_0.2.0_amd64.deb"
        );
        assert_eq!(super::path_segment("a/b?c#é"), "a%2Fb%3Fc%23%C3%A9");
        assert_eq!(super::path_segment("../x y"), "..%2Fx%20y");
        assert_eq!(super::path_segment("abc-123_~."), "abc-123_~.");
    }
}
