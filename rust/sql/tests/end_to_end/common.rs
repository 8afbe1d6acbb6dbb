//! Runs SQL end to end on the runtime and renders what `TableResult.print()` would show.

use std::sync::{Arc, Mutex};

use oxflow_sql::exec::build::{start, JobSettings, SinkTarget};
use oxflow_sql::exec::data::ChangeBatch;
use oxflow_sql::format::Tableau;
use oxflow_sql::plan::Planned;
use oxflow_sql::session::{Outcome, TableSession};

pub fn inputs() -> String {
    format!("{}/../../tests/data/pyflink_reference/sql/inputs", env!("CARGO_MANIFEST_DIR"))
}

pub fn session(ddl: &[&str]) -> TableSession {
    let mut s = TableSession::default();
    for d in ddl {
        s.execute(&d.replace("{INPUT_DIR}", &inputs())).unwrap();
    }
    s
}

pub fn settings(lines: Arc<Mutex<Vec<String>>>, parallelism: usize) -> JobSettings {
    JobSettings { name: "test".into(), parallelism, print: Arc::new(move |l: &str, _| lines.lock().unwrap().push(l.to_string())), runtime: Default::default() }
}

/// The tableau lines of a query's result: header, rows, footer.
pub fn print(s: &mut TableSession, sql: &str) -> Vec<String> {
    print_at(s, sql, 1)
}

/// [`print`] with the job's operators at `parallelism`.
pub fn print_at(s: &mut TableSession, sql: &str, parallelism: usize) -> Vec<String> {
    let Outcome::Query(plan) = s.execute(sql).unwrap() else { panic!("not a query") };
    let names = plan.names();
    let tableau = Tableau::new(&names, plan.types(), true);
    let mut out = vec![tableau.separator(), tableau.header(&names), tableau.separator()];
    let mut n = 0;
    for batch in run(&plan.planned, parallelism) {
        for row in 0..batch.num_rows() {
            out.push(tableau.row(&batch, row));
            n += 1;
        }
    }
    out.push(tableau.separator());
    out.push(format!("{n} rows in set"));
    out
}

/// The batches a query's job collects, once it finished.
pub fn collect(s: &mut TableSession, sql: &str) -> Vec<ChangeBatch> {
    let Outcome::Query(plan) = s.execute(sql).unwrap() else { panic!("not a query") };
    run(&plan.planned, 1)
}

fn run(planned: &Planned, parallelism: usize) -> Vec<ChangeBatch> {
    let job = start(vec![(planned.clone(), SinkTarget::Collect)], settings(Arc::default(), parallelism)).unwrap();
    let batches = job.results.unwrap().iter().collect();
    job.running.wait().unwrap();
    batches
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The tableaus a reference case's program printed (tests/data/pyflink_reference/sql/<case>.json),
/// one per query.
#[allow(dead_code)]
pub fn printed(case: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{}/../{case}.json", inputs())).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = vec![Vec::new()];
    for line in case["stdout"].as_array().unwrap() {
        let line = line.as_str().unwrap().to_string();
        let end = line.ends_with(" rows in set");
        out.last_mut().unwrap().push(line);
        if end {
            out.push(Vec::new());
        }
    }
    out.pop();
    out
}
