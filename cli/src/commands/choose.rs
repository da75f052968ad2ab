//! `modelreg choose --where KEY=VALUE... --prefer CRITERION[:DIR[:WEIGHT]]...`: hard
//! constraints as lookup parameters and weighted preferences, sent to `POST /v1/choose`;
//! prints the ranking and the near misses with their reasons as tables, or the answer as
//! JSON. The ranking itself is the registry's.

use std::collections::BTreeMap;

use clap::Args;
use modelreg_api::{ChooseRequest, ChooseResponse, CriterionScore, MAX_CHOOSE_LIMIT, Preference};
use serde_json::Value;

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, human_size};
use crate::quantity::{human_count, human_tokens};
use crate::table::render;

#[derive(Debug, Args)]
pub struct ChooseArgs {
    /// A hard constraint: any lookup parameter of `modelreg search`'s registry query, as
    /// KEY=VALUE (license_class=permissive, min_context=32768, max_latency_ms=30); repeat a
    /// key for several values.
    #[arg(long = "where", value_name = "KEY=VALUE", value_parser = parse_constraint)]
    pub constraints: Vec<(String, String)>,
    /// A preference: parameters, size, memory[@TOKENS][xBATCH][/KV_PRECISION],
    /// context_length, latency@HARDWARE, eval:DATASET:METRIC or recency, then optionally :min
    /// or :max and :WEIGHT (parameters:min:2, memory@8192, eval:mmlu:accuracy, recency).
    #[arg(long = "prefer", value_name = "CRITERION[:DIR[:WEIGHT]]")]
    pub preferences: Vec<Preference>,
    /// How many candidates to show (default 10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CHOOSE_LIMIT)))]
    pub limit: Option<u32>,
}

fn parse_constraint(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}

impl ChooseArgs {
    /// The request body: a repeated key becomes a list of its values.
    pub fn to_request(&self) -> ChooseRequest {
        let mut constraints: BTreeMap<String, Value> = BTreeMap::new();
        for (key, value) in &self.constraints {
            let value = Value::String(value.clone());
            match constraints.get_mut(key) {
                Some(Value::Array(list)) => list.push(value),
                Some(single) => *single = Value::Array(vec![single.take(), value]),
                None => {
                    constraints.insert(key.clone(), value);
                }
            }
        }
        ChooseRequest { constraints, preferences: self.preferences.clone(), limit: self.limit }
    }
}

pub async fn run(client: &Client, args: ChooseArgs, out: &Output) -> Result<(), ClientError> {
    let answer = client.choose(&args.to_request()).await?;
    if out.json {
        emit_json(&answer);
        return Ok(());
    }
    emit(&render_answer(&answer));
    if answer.truncated {
        out.info(format!(
            "more than {} versions match: only the first in the order of the heaviest preference were ranked, \
             and near misses are not listed; add constraints",
            answer.ranked
        ));
    }
    Ok(())
}

/// The ranking and the near misses as text: one row per candidate with each criterion's
/// value and score, then one row per near miss with its reason.
pub fn render_answer(answer: &ChooseResponse) -> String {
    let mut text = String::new();
    if answer.candidates.is_empty() {
        text.push_str("no version meets every constraint\n");
    } else {
        let mut rows: Vec<[String; 6]> = vec![
            ["RANK", "MODEL", "VERSION", "SCORE", "PARETO", "CRITERIA (value, score)"].map(String::from),
        ];
        for c in &answer.candidates {
            let criteria: Vec<String> = c.criteria.iter().map(criterion_cell).collect();
            rows.push([
                c.rank.to_string(),
                c.model.to_string(),
                c.version.to_string(),
                format!("{:.3}", c.score),
                if c.pareto { "yes".into() } else { "-".into() },
                criteria.join("  "),
            ]);
        }
        text.push_str(&render(&rows));
        text.push('\n');
        let missing: Vec<[String; 3]> = answer
            .candidates
            .iter()
            .flat_map(|c| {
                c.criteria
                    .iter()
                    .filter_map(|s| Some([c.model.to_string(), s.criterion.clone(), s.missing.clone()?]))
            })
            .collect();
        if !missing.is_empty() {
            text.push_str("\nmissing values (scored 0):\n");
            let mut rows = vec![["MODEL", "CRITERION", "WHY"].map(String::from)];
            rows.extend(missing);
            text.push_str(&render(&rows));
            text.push('\n');
        }
    }
    if !answer.near_misses.is_empty() {
        text.push_str("\nnear misses (each fails one constraint):\n");
        let mut rows: Vec<[String; 4]> = vec![["MODEL", "VERSION", "CONSTRAINT", "REASON"].map(String::from)];
        for n in &answer.near_misses {
            rows.push([
                n.model.to_string(),
                n.version.to_string(),
                format!("{}={}", n.constraint, n.wanted.join(",")),
                n.reason.clone(),
            ]);
        }
        text.push_str(&render(&rows));
        text.push('\n');
    }
    text.trim_end().to_owned()
}

/// `parameters 3.8B (0.93)`; a missing value is `-` and scores 0.
fn criterion_cell(c: &CriterionScore) -> String {
    let value = match c.value {
        None => "-".to_owned(),
        Some(v) => match c.unit.as_str() {
            "parameters" => human_count(v as u64),
            "bytes" => human_size(v as u64).replace(' ', ""),
            "tokens" => human_tokens(v as u64),
            "ms" => format!("{v}ms"),
            "days" => format!("{v:.1}d"),
            _ => format!("{v}"),
        },
    };
    format!("{} {value} ({:.2})", c.criterion, c.score)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ChooseArgs,
    }

    #[test]
    fn flags_become_the_request_body_with_repeated_keys_as_lists() {
        let w = Wrapper::try_parse_from([
            "x",
            "--where",
            "license_class=permissive",
            "--where",
            "license_class=copyleft",
            "--where",
            "min_context=32768",
            "--prefer",
            "parameters:min:2",
            "--prefer",
            "latency@A100",
            "--limit",
            "5",
        ])
        .unwrap();
        assert_eq!(
            serde_json::to_value(w.args.to_request()).unwrap(),
            json!({
                "constraints": { "license_class": ["permissive", "copyleft"], "min_context": "32768" },
                "preferences": [
                    { "criterion": "parameters", "direction": "min", "weight": 2.0 },
                    { "criterion": "latency", "hardware": "a100" }
                ],
                "limit": 5
            })
        );
        assert!(Wrapper::try_parse_from(["x", "--where", "=x"]).is_err());
        assert!(Wrapper::try_parse_from(["x", "--prefer", "vibes"]).is_err());
        let w = Wrapper::try_parse_from([
            "x",
            "--prefer",
            "memory@8192x2:min:3",
            "--prefer",
            "eval:mmlu:accuracy",
        ])
        .unwrap();
        assert_eq!(
            serde_json::to_value(&w.args.to_request().preferences).unwrap(),
            json!([
                { "criterion": "memory", "at_context": 8192, "batch": 2, "direction": "min", "weight": 3.0 },
                { "criterion": "eval", "dataset": "mmlu", "metric": "accuracy" }
            ])
        );
        assert!(Wrapper::try_parse_from(["x", "--limit", "101"]).is_err());
    }
}
