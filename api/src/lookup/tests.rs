use super::*;

fn parse_str(s: &str) -> Result<LookupQuery, LookupError> {
    let pairs: Vec<(&str, &str)> =
        s.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    LookupQuery::from_pairs(pairs)
}

#[test]
fn queries_round_trip_through_pairs() {
    let q = parse_str("effective_license_class=restricted_use&effective_license_class=unknown&effective_commercial_use=restricted&license_conflicts=true&license=MIT&license=Apache-2.0&modality=text&language=fr&language=DE&min_context=8000&max_params=3000000000&sort=parameters&order=desc&limit=5&label=team:nlp&versions=all").unwrap();
    assert_eq!(q.language.iter().map(LanguageTag::as_str).collect::<Vec<_>>(), ["fr", "de"]);
    assert_eq!(
        (q.sort, q.order, q.limit, q.versions),
        (SortKey::Parameters, Order::Desc, 5, VersionsMode::All)
    );
    let pairs = q.to_pairs();
    let again = LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(again, q);
}

#[test]
fn eval_queries_round_trip_and_sort_best_first_by_the_metric_direction() {
    let q = parse_str("eval=Common_Voice:WER<=20&eval_language=sw&sort=EVAL:common_voice:wer").unwrap();
    assert_eq!(q.eval[0].to_string(), "common_voice:wer<=20");
    assert_eq!((q.sort, q.order), (SortKey::Eval, Order::Asc), "lower WER is better");
    let again = LookupQuery::from_pairs(q.to_pairs().iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(again, q);
    let q = parse_str("sort=eval:mmlu:accuracy").unwrap();
    assert_eq!(q.order, Order::Desc, "higher accuracy is better");
    let again = LookupQuery::from_pairs(q.to_pairs().iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(again, q);
    let q = parse_str("sort=eval:mmlu:accuracy&order=asc").unwrap();
    assert_eq!(q.order, Order::Asc, "an explicit order wins");
    let again = LookupQuery::from_pairs(q.to_pairs().iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    assert_eq!(again, q);
}

#[test]
fn bad_parameters_are_named() {
    for (query, param) in [
        ("colour=red", "colour"),
        ("min_context=lots", "min_context"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("task=chat", "task"),
        ("language=english", "language"),
        ("commercial_use=maybe", "commercial_use"),
        ("sort=random", "sort"),
        ("min_params=10&max_params=5", "min_params"),
        ("label=nocolon", "label"),
        ("q=a&q=b", "q"),
        ("hardware=a100", "hardware"),
        ("base_model=NotAModel", "base_model"),
        ("license=Not A Licence (", "license"),
        ("license=MIT OR Apache-2.0", "license"),
        ("q=a\0b", "q"),
        ("tag=\u{7}", "tag"),
        ("label=k:\0", "label"),
        ("effective_license_class=free", "effective_license_class"),
        ("effective_commercial_use=yes", "effective_commercial_use"),
        ("license_conflicts=maybe", "license_conflicts"),
        ("license_conflicts=true&license_conflicts=false", "license_conflicts"),
        ("eval=common_voice:wer<20", "eval"),
        ("eval=common_voice<=20", "eval"),
        ("eval_language=sw", "eval_language"),
        ("eval=a:b<=1&eval_language=swahili!", "eval_language"),
        ("sort=eval", "sort"),
        ("sort=eval:common_voice", "sort"),
        ("sort=size&sort=eval:a:b", "sort"),
        (&["eval=a:b<=1"; 9].join("&"), "eval"),
        (&format!("eval=a:b<=1&{}", ["eval_language=sw"; 17].join("&")), "eval_language"),
    ] {
        let err = parse_str(query).unwrap_err();
        assert_eq!(err.param, param, "{query}: {err}");
    }
}
