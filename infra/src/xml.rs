//! Small pieces shared by the XML readers (office documents, WebDAV listings), which read with
//! `quick_xml` and never expand DTD entities.

/// An element's name without its namespace prefix (`D:href` → `href`).
pub(crate) fn local(name: &str) -> &str {
    name.rsplit_once(':').map(|(_, l)| l).unwrap_or(name)
}

/// The character of one of XML's five predefined entities; `None` for any other (never expanded).
pub(crate) fn predefined(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}
