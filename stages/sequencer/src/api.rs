//! The sequencer's API contract: the table of endpoints the server routes by, and the OpenAPI document that
//! publishes it (`stages/sequencer/openapi.json`, served at `GET /openapi.json`).
//!
//! The table is the one place a request is matched: `routes::handle` asks [`find`] which endpoint a method and
//! path name. The tests below hold the table and the document to each other (every operation, every status
//! code, the proof-generation data's format version and artifact header), so neither can change alone.

/// The OpenAPI 3 document of this API, compiled in so the server serves exactly what the repository holds.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The format version of the body of `GET /proof_generation_data` (`x-format-version` of the document's
/// `ProofGenerationData`), sent in the [`FORMAT_VERSION_HEADER`] of every 200 answer. Raise it with any change
/// of the payload's layout (`frispool_rollup::BlockWitness` and everything in it) or of what a valid payload
/// must hold, and describe it. 2: signatures required on transfers and withdrawals (bytes as in 1).
pub const PROOF_GENERATION_DATA_VERSION: u32 = 2;
pub const FORMAT_VERSION_HEADER: &str = "frispool-format-version";

/// What a request is for, once matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    ProofGenerationData,
    SubmitProof,
    BlockStatus,
    OpenApi,
}

/// One endpoint: method, path template (as the document writes it: `{n}` is a block number), and every
/// status code its handler answers with (those the HTTP layer answers before routing are in the document's
/// description, not here).
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub statuses: &'static [u16],
    pub(crate) route: Route,
}

/// Every endpoint. 503 is on each: the connection limit refuses any request.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/proof_generation_data",
        statuses: &[200, 204, 500, 503],
        route: Route::ProofGenerationData,
    },
    Endpoint {
        method: "POST",
        path: "/submit_proof/{n}",
        statuses: &[200, 400, 404, 408, 413, 500, 503],
        route: Route::SubmitProof,
    },
    Endpoint { method: "GET", path: "/blocks/{n}", statuses: &[200, 400, 404, 500, 503], route: Route::BlockStatus },
    Endpoint { method: "GET", path: "/openapi.json", statuses: &[200, 503], route: Route::OpenApi },
];

/// What the table says about a method and path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'p> {
    /// The endpoint, and the text of its `{n}` segment if the template has one (not yet parsed: a bad number
    /// is the handler's 400).
    Endpoint(Route, Option<&'p str>),
    /// The path is an endpoint's, the method is not: the methods that are (for `Allow`).
    WrongMethod(Vec<&'static str>),
    NoSuchPath,
}

/// Matches `path` against the templates segment by segment (a `{…}` segment matches any one non-empty
/// segment). A trailing slash is ignored.
pub(crate) fn find<'p>(method: &str, path: &'p str) -> Found<'p> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).trim_end_matches('/').split('/').collect();
    let mut allowed = Vec::new();
    for endpoint in ENDPOINTS {
        let Some(param) = matches(endpoint.path, &segments) else { continue };
        if endpoint.method == method {
            return Found::Endpoint(endpoint.route, param);
        }
        allowed.push(endpoint.method);
    }
    if allowed.is_empty() {
        Found::NoSuchPath
    } else {
        Found::WrongMethod(allowed)
    }
}

/// `Some(parameter)` when the segments fit the template (`Some(None)` for a template without one).
fn matches<'p>(template: &str, segments: &[&'p str]) -> Option<Option<&'p str>> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut param = None;
    for (part, segment) in parts.iter().zip(segments) {
        if part.starts_with('{') && part.ends_with('}') {
            if segment.is_empty() {
                return None;
            }
            param = Some(*segment);
        } else if part != segment {
            return None;
        }
    }
    Some(param)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(OPENAPI).expect("openapi.json is JSON")
    }

    /// Every (method, path) the document describes, with its status codes.
    fn documented() -> BTreeSet<(String, String, Vec<u16>)> {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths is an object");
        let mut out = BTreeSet::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("a path item is an object") {
                if !["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(&method.as_str()) {
                    continue;
                }
                let mut statuses: Vec<u16> = op["responses"]
                    .as_object()
                    .expect("an operation has responses")
                    .keys()
                    .map(|k| k.parse().unwrap_or_else(|_| panic!("{method} {path}: response {k:?} is not a status")))
                    .collect();
                statuses.sort();
                out.insert((method.to_uppercase(), path.clone(), statuses));
            }
        }
        out
    }

    fn table() -> BTreeSet<(String, String, Vec<u16>)> {
        ENDPOINTS
            .iter()
            .map(|e| {
                let mut s = e.statuses.to_vec();
                s.sort();
                (e.method.to_string(), e.path.to_string(), s)
            })
            .collect()
    }

    #[test]
    fn the_document_and_the_endpoint_table_agree() {
        let (doc, table) = (documented(), table());
        let only_doc: Vec<_> = doc.difference(&table).collect();
        let only_table: Vec<_> = table.difference(&doc).collect();
        assert!(
            only_doc.is_empty() && only_table.is_empty(),
            "openapi.json and ENDPOINTS disagree (method, path, statuses):\n only in the document: {only_doc:?}\n \
             only in the table: {only_table:?}"
        );
    }

    #[test]
    fn every_endpoint_is_routed_to_itself() {
        for e in ENDPOINTS {
            let path = e.path.replace("{n}", "42");
            let want = Found::Endpoint(e.route, e.path.contains("{n}").then_some("42"));
            assert_eq!(find(e.method, &path), want, "{} {path}", e.method);
        }
        assert_eq!(find("DELETE", "/blocks/1"), Found::WrongMethod(vec!["GET"]));
        assert_eq!(find("GET", "/submit_proof/1"), Found::WrongMethod(vec!["POST"]));
        assert_eq!(find("GET", "/blocks"), Found::NoSuchPath);
        assert_eq!(find("GET", "/blocks/1/2"), Found::NoSuchPath);
        assert_eq!(find("GET", "/nope"), Found::NoSuchPath);
    }

    #[test]
    fn the_document_versions_the_proof_generation_data_it_describes() {
        let doc = document();
        let schema = &doc["components"]["schemas"]["ProofGenerationData"];
        assert_eq!(schema["x-format-version"], Value::from(PROOF_GENERATION_DATA_VERSION));
        let ok = &doc["paths"]["/proof_generation_data"]["get"]["responses"]["200"];
        let header = &ok["headers"]["Frispool-Format-Version"];
        assert!(header["required"].as_bool().unwrap_or(false));
        assert_eq!(header["schema"]["enum"], Value::from(vec![PROOF_GENERATION_DATA_VERSION]));
        assert!(FORMAT_VERSION_HEADER.eq_ignore_ascii_case("Frispool-Format-Version"));
        // The header layout the document spells out is the artifact format this build writes (the payload's
        // layout is checked field by field in tests/proof_generation_data_layout.rs).
        let text = schema["description"].as_str().unwrap();
        let kind = crate::BLOCK_INPUT;
        let bytes = frispool_spool::encode_artifact(std::path::Path::new("t"), kind, &7u64).unwrap();
        assert_eq!(frispool_spool::HEADER_LEN, 64);
        assert_eq!(&bytes[..8], b"FRSPOOL\x1a");
        assert!(text.contains("the magic `FRSPOOL\\x1a` (46 52 53 50 4f 4f 4c 1a)"));
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        assert!(text.contains(&format!("the artifact container format, u16 = {format};")), "format {format}");
        assert_eq!(u16::from_le_bytes([bytes[10], bytes[11]]), kind.number());
        assert!(text.contains(&format!("the artifact kind, u16 = {} (`{}`)", kind.number(), kind.name())));
    }

    #[test]
    fn every_reference_resolves() {
        fn walk(v: &Value, doc: &Value, at: &str) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{at}: external $ref {r}"));
                        assert!(doc.pointer(pointer).is_some(), "{at}: $ref {r} resolves to nothing");
                    }
                    for (k, v) in map {
                        walk(v, doc, &format!("{at}/{k}"));
                    }
                }
                Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, doc, &format!("{at}/{i}"))),
                _ => {}
            }
        }
        let doc = document();
        walk(&doc, &doc, "#");
    }
}
