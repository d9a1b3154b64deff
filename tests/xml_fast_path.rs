//! The fast CoT XML path against the full parser (roxmltree): it must read every event of
//! the real-world corpus itself, and for thousands of damaged variants of them either give
//! exactly what the full parser gives or leave the input to it (`takwire::fuzzing::
//! xml_fast_path` panics when the two disagree; the `xml_fast_path` fuzz target runs the
//! same check on generated input).

use std::path::{Path, PathBuf};

use takwire::fuzzing::{fast_path_reads, xml_fast_path};

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/corpus/xml"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(root.join("bench/corpus/shape_polygon_400.xml"));
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn check(mode: u8, text: &str) {
    let mut data = vec![mode];
    data.extend_from_slice(text.as_bytes());
    xml_fast_path(&data);
}

#[test]
fn the_fast_path_reads_every_corpus_event_as_the_full_parser_does() {
    for (path, text) in corpus() {
        assert!(
            fast_path_reads(&text),
            "{} left to the full parser",
            path.display()
        );
        check(0, &text);
        // And what takwire writes.
        let ev = takwire::cot::Event::from_xml(text.as_bytes()).unwrap();
        assert!(fast_path_reads(&ev.to_xml()), "{}", path.display());
        check(0, &ev.to_xml());
        check(1, ev.detail.as_inner_xml());
    }
}

/// Pieces that push a parser onto its edge cases.
const PIECES: &[&str] = &[
    "<",
    ">",
    "/",
    "/>",
    "</",
    "&",
    ";",
    "&amp;",
    "&lt;",
    "&#65;",
    "&#x41;",
    "&#0;",
    "&#xD800;",
    "&#x110000;",
    "&bogus;",
    "]]>",
    "]]",
    "\"",
    "'",
    "=",
    " ",
    "\n",
    "\t",
    "\r\n",
    ":",
    "x:",
    "xmlns=\"urn:a\"",
    " xmlns:p=\"urn:p\"",
    " p:a=\"1\"",
    "<!-- c -->",
    "<![CDATA[d]]>",
    "<?pi x?>",
    "<!DOCTYPE x>",
    "<a>",
    "</a>",
    "<a/>",
    "<point lat=\"1\" lon=\"2\"/>",
    "<detail>",
    "</detail>",
    "<detail/>",
    " uid=\"dup\"",
    " lat=\"x\"",
    " a=\"1\"",
    " a=\"2\"",
    "\u{1}",
    "\u{FFFE}",
    "\u{FEFF}",
    "é",
    "\u{a0}",
    "<?xml version=\"1.0\"?>",
    "-",
    ".",
    "0",
    "e309",
    "NaN",
];

/// xorshift: the same variants on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// `text` with one to three random edits at character boundaries.
fn damaged(text: &str, rng: &mut Rng) -> String {
    let mut s = text.to_string();
    for _ in 0..=rng.below(3) {
        let bounds: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
        let at = bounds[rng.below(bounds.len())];
        match rng.below(4) {
            0 | 1 => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
            2 => {
                let to = bounds[rng.below(bounds.len())].max(at);
                let to = to.min(at + 1 + rng.below(24));
                let to = (to..=s.len()).find(|&i| s.is_char_boundary(i)).unwrap();
                s.replace_range(at..to, "");
            }
            _ => {
                let to = (at + 1 + rng.below(40)).min(s.len());
                let to = (to..=s.len()).find(|&i| s.is_char_boundary(i)).unwrap();
                let copy = s[at..to].to_string();
                s.insert_str(to, &copy);
            }
        }
    }
    s
}

#[test]
fn damaged_events_read_the_same_on_both_paths_or_go_to_the_full_parser() {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let (mut fast, mut total) = (0, 0);
    for (_, text) in corpus().iter().filter(|(_, t)| t.len() < 4096) {
        for _ in 0..1500 {
            let variant = damaged(text, &mut rng);
            check(0, &variant);
            let inner = variant
                .split_once("<detail>")
                .and_then(|(_, rest)| rest.rsplit_once("</detail>"))
                .map_or("", |(inner, _)| inner);
            check(1, inner);
            fast += usize::from(fast_path_reads(&variant));
            total += 1;
        }
    }
    // Both paths were exercised: many variants stay readable, many do not.
    assert!(
        fast > total / 10 && fast < total * 9 / 10,
        "{fast} of {total} read fast"
    );
}
