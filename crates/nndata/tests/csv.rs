//! CSV tables into datasets: typing, encoding, targets, missing values, and every malformed file
//! an error naming the file, line and column.

use nndata::csv::{
    csv_from_reader, read_csv, CategoryEncoding, Column, CsvData, CsvOptions, Missing,
};
use std::path::Path;

fn parse(text: &str, options: &CsvOptions) -> Result<CsvData, String> {
    csv_from_reader(text.as_bytes(), Path::new("table.csv"), options).map_err(|e| e.to_string())
}

fn err(text: &str, options: &CsvOptions) -> String {
    parse(text, options).unwrap_err()
}

const PETS: &str = "height,weight,colour,kind\n20,4.5,grey,cat\n8,0.03,brown,mouse\n23,5.1,black,cat\n7.5,0.02,grey,mouse\n";

#[test]
fn numbers_and_one_hot_categories_with_a_text_target() {
    let t = parse(PETS, &CsvOptions::default()).unwrap();
    assert_eq!(
        t.feature_names,
        [
            "height",
            "weight",
            "colour=black",
            "colour=brown",
            "colour=grey"
        ]
    );
    assert_eq!(t.target_names, ["kind"]);
    assert_eq!(t.dataset.inputs().shape(), &[4, 5]);
    assert_eq!(
        t.dataset.inputs().to_vec()[..10],
        [20.0, 4.5, 0.0, 0.0, 1.0, 8.0, 0.03, 0.0, 1.0, 0.0]
    );
    assert_eq!(t.dataset.targets().shape(), &[4]);
    assert_eq!(t.dataset.targets().to_vec(), [0.0, 1.0, 0.0, 1.0]);
    assert_eq!(t.classes().unwrap(), ["cat", "mouse"]);
    assert_eq!(t.categories.len(), 2);
    assert_eq!(t.categories[0].column, "colour");
    assert_eq!(t.categories[0].values, ["black", "brown", "grey"]);
}

#[test]
fn quotes_newlines_crlf_other_delimiters_and_no_header() {
    let text = "\"a\";\"note\";y\r\n1,5;\"says \"\"hi\"\"; twice\";0\r\n2;\"two\nlines\";1\r\n";
    let options = CsvOptions {
        delimiter: b';',
        categories: CategoryEncoding::Index,
        ..Default::default()
    };
    let e = err(text, &options);
    // "1,5" is not a number (a decimal comma): the column has one number out of two.
    assert!(
        e.contains("table.csv") && e.contains("line 2, column `a`"),
        "{e}"
    );
    let fixed = text.replace("1,5", "1.5");
    let t = parse(&fixed, &options).unwrap();
    assert_eq!(t.feature_names, ["a", "note"]);
    assert_eq!(t.categories[0].values, ["says \"hi\"; twice", "two\nlines"]);
    assert_eq!(t.dataset.inputs().to_vec(), [1.5, 0.0, 2.0, 1.0]);
    assert_eq!(t.dataset.targets().to_vec(), [0.0, 1.0]);

    let headless = CsvOptions {
        has_header: false,
        ..Default::default()
    };
    let t = parse("1,2,3\n4,5,6\n", &headless).unwrap();
    assert_eq!(t.feature_names, ["column_0", "column_1"]);
    assert_eq!(t.dataset.targets().to_vec(), [3.0, 6.0]);
}

#[test]
fn targets_by_name_or_index_several_targets_and_ignored_columns() {
    let text = "id,x1,x2,y1,y2\n101,1,2,0.5,7\n102,3,4,1.5,8\n";
    let options = CsvOptions {
        targets: vec![Column::from("y1"), Column::from(4usize)],
        ignore: vec!["id".into()],
        ..Default::default()
    };
    let t = parse(text, &options).unwrap();
    assert_eq!(t.feature_names, ["x1", "x2"]);
    assert_eq!(t.target_names, ["y1", "y2"]);
    assert_eq!(t.dataset.targets().shape(), &[2, 2]);
    assert_eq!(t.dataset.targets().to_vec(), [0.5, 7.0, 1.5, 8.0]);
    assert!(t.classes().is_none());

    let e = err(
        text,
        &CsvOptions {
            targets: vec!["label".into()],
            ..Default::default()
        },
    );
    assert!(
        e.contains("target column `label` is not in the header") && e.contains("\"x1\""),
        "{e}"
    );
    let e = err(
        text,
        &CsvOptions {
            targets: vec![9usize.into()],
            ..Default::default()
        },
    );
    assert!(
        e.contains("target column 9 does not exist: the file has 5 columns (0 to 4)"),
        "{e}"
    );
}

#[test]
fn missing_values_are_named_or_filled_as_asked() {
    let text = "a,b,c,y\n1,red,4,0\n,blue,NA,1\n3,,6,0\n";
    let e = err(text, &CsvOptions::default());
    assert!(
        e.contains("line 3, column `a`: the value is missing") && e.contains("Missing::Fill"),
        "{e}"
    );

    let t = parse(
        text,
        &CsvOptions {
            missing: Missing::Fill(-1.0),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        t.feature_names,
        ["a", "b=blue", "b=red", "b=<missing>", "c"]
    );
    assert_eq!(
        t.dataset.inputs().to_vec(),
        [1.0, 0.0, 1.0, 0.0, 4.0, -1.0, 1.0, 0.0, 0.0, -1.0, 3.0, 0.0, 0.0, 1.0, 6.0]
    );
    let t = parse(
        text,
        &CsvOptions {
            missing: Missing::Mean,
            ..Default::default()
        },
    )
    .unwrap();
    let x = t.dataset.inputs().to_vec();
    assert_eq!((x[5], x[9]), (2.0, 5.0)); // means of a (1, 3) and c (4, 6)

    let e = err(
        "a,y\n1,0\n2,\n",
        &CsvOptions {
            missing: Missing::Mean,
            ..Default::default()
        },
    );
    assert!(
        e.contains("line 3, target column `y`: the value is missing"),
        "{e}"
    );
}

#[test]
fn malformed_files_are_errors_naming_the_line() {
    let e = err("a,b,y\n1,2,3\n4,5\n", &CsvOptions::default());
    assert!(
        e.contains("table.csv") && e.contains("line 3 has 2 fields") && e.contains("3"),
        "{e}"
    );
    let e = err("", &CsvOptions::default());
    assert!(e.contains("no data rows"), "{e}");
    let e = err("a,b,y\n", &CsvOptions::default());
    assert!(e.contains("no data rows"), "{e}");
    let e = err("a,y\n1,0\ninf,1\n", &CsvOptions::default());
    assert!(
        e.contains("line 3, column `a`: `inf` is inf, not a finite number"),
        "{e}"
    );
    let mut typo = String::from("a,y\n");
    for i in 0..20 {
        typo.push_str(&format!("{i},0\n"));
    }
    typo.push_str("12kg,1\n");
    let e = err(&typo, &CsvOptions::default());
    assert!(
        e.contains(
            "line 22, column `a`: `12kg` is not a number, but 20 of the column's 21 values are"
        ),
        "{e}"
    );
    let mut ids = String::from("name,y\n");
    for i in 0..1001 {
        ids.push_str(&format!("person{i},0\n"));
    }
    let e = err(&ids, &CsvOptions::default());
    assert!(
        e.contains("column `name` has 1001 different texts") && e.contains("CsvOptions::ignore"),
        "{e}"
    );
    let e = read_csv("/nonexistent/table.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/table.csv"), "{e}");
    // Bytes that are not UTF-8 are text, shown with replacement characters.
    let t = csv_from_reader(
        &b"a,y\n\xff\xfe,0\nb,1\n"[..],
        Path::new("t.csv"),
        &CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(t.feature_names[1], "a=\u{fffd}\u{fffd}");
}

#[test]
fn read_csv_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pets.csv");
    std::fs::write(&path, PETS).unwrap();
    let t = read_csv(&path, &CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.len(), 4);
}

#[test]
fn a_large_table_parsed_in_pieces_equals_the_table() {
    // Over 8 MB without quotes: parsed in pieces in parallel, which must not show.
    let mut text = String::from("a,b,kind\n");
    let mut rows = 0usize;
    while text.len() < 9 << 20 {
        text.push_str(&format!(
            "{rows},{}.5,{}\n",
            rows * 2,
            ["x", "y", "z"][rows % 3]
        ));
        rows += 1;
    }
    let t = parse(&text, &CsvOptions::default()).unwrap();
    assert_eq!(t.dataset.len(), rows);
    let x = t.dataset.inputs().to_vec();
    let y = t.dataset.targets().to_vec();
    for r in [0, 1, rows / 2, rows - 1] {
        assert_eq!(x[r * 2], r as f32);
        assert_eq!(x[r * 2 + 1], (r * 2) as f32 + 0.5);
        assert_eq!(y[r], (r % 3) as f32);
    }
    // A ragged row near the end is named by its line, counted across the pieces.
    let ragged = format!("{text}1,2\n");
    let e = err(&ragged, &CsvOptions::default());
    assert!(
        e.contains(&format!("line {} has 2 fields", rows + 2)),
        "{e}"
    );
}

#[test]
fn blank_lines_numeric_markers_and_one_hot_blowups() {
    // Blank lines (CRLF too) do not shift the line an error names.
    let e = err("a,y\r\n1,0\r\n\r\n\r\n2\r\n", &CsvOptions::default());
    assert!(e.contains("line 5 has 1 fields"), "{e}");
    // A marker that is a number marks cells missing in numeric columns too.
    let options = CsvOptions {
        missing_markers: vec!["-999".into()],
        missing: Missing::Fill(0.5),
        ..Default::default()
    };
    let t = parse("a,y\n-999,0\n3,1\n", &options).unwrap();
    assert_eq!(t.dataset.inputs().to_vec(), [0.5, 3.0]);
    let e = err(
        "a,y\n1,0\n",
        &CsvOptions {
            missing: Missing::Fill(f32::NAN),
            ..Default::default()
        },
    );
    assert!(e.contains("non-finite"), "{e}");
    // 60 text columns of 1000 short values each over 2000 rows: 60,000 one-hot features.
    let mut text = (0..60)
        .map(|c| format!("c{c}"))
        .collect::<Vec<_>>()
        .join(",")
        + ",y\n";
    for r in 0..2000 {
        let row: Vec<String> = (0..60)
            .map(|c| format!("{}{}", ["a", "b"][c % 2], (r * 7 + c) % 1000))
            .collect();
        text.push_str(&row.join(","));
        text.push_str(",0\n");
    }
    let e = err(&text, &CsvOptions::default());
    assert!(
        e.contains("one-hot encoding would make 2000 rows")
            && e.contains("CategoryEncoding::Index"),
        "{e}"
    );
}
